// The scheduler: the one place where a run's nondeterminism is decided (DESIGN.md §1).
// Actors never call each other; they post messages into per-actor FIFO inboxes, and each step the
// scheduler picks one actor with a non-empty inbox (the "enabled" set), delivers its oldest message
// through the bus and writes one trace line. Only real choices (two or more enabled actors) are
// recorded in the tape, so a tape replays a run under any seed. Timers fire only when every inbox
// is empty: a timeout models "nothing else happened first", and virtual time then jumps to it.
// Strategies (src/engine/strategy.ts): 'random' draws uniformly, 'fifo' takes the first enabled actor,
// 'pct' and 'pos' are priority-based choosers (src/engine/pct.ts, src/engine/pos.ts) told of every
// registration, post and delivery. Every strategy draws only from the scheduler's rng, so a run is a
// function of (seed, strategy, params); an explicit tape entry overrides any strategy.

import { type Observable, Subject } from 'rxjs';
import { Bus } from './bus.ts';
import { type DueTimer, VirtualClock, type XStateClock } from './clock.ts';
import type { Msg } from './messages.ts';
import { Pct } from './pct.ts';
import { Pos } from './pos.ts';
import type { Rng } from './prng.ts';
import { type Chooser, type StrategyName, type StrategyParams, strategyProblem } from './strategy.ts';
import type { Trace, TraceLine } from './trace.ts';
import type { Effect, Envelope, SimActor } from './types.ts';

export interface SchedulerOptions {
  /** Source of 'random' choices. Pass a dedicated stream (e.g. `rng.fork('scheduler')`). */
  readonly rng: Rng;
  readonly strategy: StrategyName;
  /** The strategy's parameters: required for 'pct' (depth, k), absent for the others. */
  readonly strategyParams?: StrategyParams;
  /** Explicit choices to replay, consumed one per real choice. */
  readonly tape?: readonly number[];
  readonly trace: Trace;
  /**
   * A chooser that replaces the strategy's (shrinking's guided replay): asked at every real choice no
   * tape entry decided. Its run is recorded in the tape like any other, so the tape replays it.
   */
  readonly guide?: Chooser;
  /** Keep the id of the actor picked at every real choice (`chosenIds`). */
  readonly recordChosen?: boolean;
}

export interface RunResult {
  /** Steps taken by this call. */
  readonly steps: number;
  /** True when no message and no timer is left. */
  readonly quiescent: boolean;
}

/** An actor and its inbox: an array queue read from `head` (Array.shift is O(n) on big arrays). */
interface Slot {
  readonly actor: SimActor;
  readonly inbox: (Envelope | undefined)[];
  head: number;
}

/** Index of the first element of sorted `ids` that is ≥ id (plain string comparison). */
function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The payload of a trace line: the message fields other than `type`, or undefined when none. */
function payloadOf(msg: Msg): Record<string, unknown> | undefined {
  const fields = msg as unknown as Record<string, unknown>;
  let payload: Record<string, unknown> | undefined;
  // for-in instead of Object.entries: no array per step (messages are plain objects).
  for (const key in fields) {
    if (key === 'type') continue;
    payload ??= {};
    payload[key] = fields[key];
  }
  return payload;
}

/** Seeded owner of message order, timers and the tape of one run. */
export class Scheduler {
  private readonly rng: Rng;
  private readonly strategy: StrategyName;
  /** The priority-based strategy ('pct', 'pos'); undefined for 'random' and 'fifo'. */
  private readonly chooser: Chooser | undefined;
  private readonly pct: Pct | undefined;
  private readonly replay: readonly number[] | undefined;
  private readonly trace: Trace;
  private readonly clock = new VirtualClock();
  private readonly bus = new Bus();
  private readonly slots = new Map<string, Slot>();
  /** Ids of actors with a non-empty inbox, sorted; maintained on post and on delivery. */
  private readonly ready: string[] = [];
  private readonly recorded: number[] = [];
  private readonly chosenLog: string[] | null;
  private effects: Effect[] = [];
  private replayPos = 0;
  private diverged = false;
  private seq = 0;
  private stepCount = 0;
  /** True while a step is being taken (messages posted then are stamped with its number). */
  private inStep = false;
  private queued = 0;
  /** The stream of trace lines, made only when something asks for `steps$`. */
  private stepTap: Subject<TraceLine> | undefined;

  /**
   * @throws RangeError when the strategy's parameters are missing, unexpected or out of range (see
   *   `strategyProblem`).
   */
  constructor(opts: SchedulerOptions) {
    const problem = strategyProblem(opts.strategy, opts.strategyParams);
    if (problem !== undefined) throw new RangeError(`scheduler: ${problem}`);
    this.rng = opts.rng;
    this.strategy = opts.strategy;
    this.pct = opts.strategy === 'pct' ? new Pct(opts.rng, opts.strategyParams!) : undefined;
    this.chooser = opts.guide ?? this.pct ?? (opts.strategy === 'pos' ? new Pos(opts.rng) : undefined);
    this.chosenLog = opts.recordChosen === true ? [] : null;
    this.replay = opts.tape;
    this.trace = opts.trace;
  }

  /**
   * Every step as it is taken: its trace line (the delivery or timer, with the effects it caused). Hot:
   * only steps taken while subscribed. Until something subscribes a step pays one property test.
   */
  get steps$(): Observable<TraceLine> {
    this.stepTap ??= new Subject<TraceLine>();
    return this.stepTap.asObservable();
  }

  /** Every envelope delivered, after its handler ran (the bus's stream; hot, made when asked for). */
  get deliveries$(): Observable<Envelope> {
    return this.bus.deliveries$;
  }

  /** Steps taken so far (messages delivered plus timers fired). */
  get steps(): number {
    return this.stepCount;
  }

  /** The run's tape: the index chosen at every step that had two or more enabled actors. */
  get tape(): readonly number[] {
    return this.recorded;
  }

  /**
   * The priority the strategy compares for `id` now: under 'pct' the actor's priority (high band above d,
   * low band 1..d−1), under 'pos' the priority of its head message; otherwise undefined.
   */
  priorityOf(id: string): number | undefined {
    return this.chooser?.priorityOf(id);
  }

  /** Actors registered so far (PCT's n). */
  get actorCount(): number {
    return this.slots.size;
  }

  /** The actor picked at every real choice, when kept (`recordChosen`); empty otherwise. */
  get chosenIds(): readonly string[] {
    return this.chosenLog ?? [];
  }

  /** PCT's change points k_1..k_{d−1} (choice numbers, in the order drawn); empty for other strategies. */
  get changePoints(): readonly number[] {
    return this.pct?.changePoints ?? [];
  }

  /** True once an explicit tape entry was out of range or the tape ran out before the run did. */
  get tapeDiverged(): boolean {
    return this.diverged;
  }

  now(): number {
    return this.clock.now();
  }

  /** Messages waiting in all inboxes. */
  pendingCount(): number {
    return this.queued;
  }

  /** Timers scheduled and neither fired nor cancelled. */
  pendingTimers(): number {
    return this.clock.pending();
  }

  /**
   * Add an actor. Its systemId must be unique.
   * @throws Error when an actor with the same id is already registered.
   */
  register(actor: SimActor): void {
    if (this.slots.has(actor.id)) throw new Error(`scheduler: actor '${actor.id}' is already registered`);
    this.bus.attach(actor.id, (env) => actor.deliver(env));
    this.slots.set(actor.id, { actor, inbox: [], head: 0 });
    this.chooser?.register(actor.id);
  }

  /**
   * Queue `msg` from `from` at the end of `to`'s inbox.
   * @throws Error when `to` is not registered (a simulator bug: addresses come from the model).
   */
  post(from: string, to: string, msg: Msg): void {
    const slot = this.slots.get(to);
    if (slot === undefined)
      throw new Error(`scheduler: post of ${msg.type} from '${from}' to unknown actor '${to}'`);
    if (slot.head === slot.inbox.length) this.ready.splice(lowerBound(this.ready, to), 0, to);
    slot.inbox.push({ seq: this.seq, from, to, msg, sent: this.inStep ? this.stepCount : -1 });
    this.seq += 1;
    this.queued += 1;
    this.chooser?.posted(to);
  }

  /** The XState `clock` for the actor `actorId`: its delayed events run on this run's virtual time. */
  clockFor(actorId: string): XStateClock {
    return this.clock.clockFor(actorId);
  }

  /**
   * After `ms` of virtual time, post `msg` from 'clock' to `owner`; returns the timer id.
   * @throws RangeError when ms is not finite.
   */
  sleep(owner: string, ms: number, msg: Msg): number {
    return this.clock.schedule(owner, ms, () => this.post('clock', owner, msg));
  }

  /** Cancel a timer made by `sleep`; false when it already fired or was cancelled. */
  cancelSleep(id: number): boolean {
    return this.clock.cancel(id);
  }

  /**
   * Record a side effect of the step in progress in its trace line. Effects noted between steps
   * (e.g. during scenario setup) go into the next step's line.
   */
  note(effect: Effect): void {
    this.effects.push(effect);
  }

  /** Ids of actors with a non-empty inbox, sorted by id (a copy). */
  enabled(): string[] {
    return this.ready.slice();
  }

  /**
   * The messages waiting for `id`, oldest first (a copy).
   * @throws Error when `id` is not registered.
   */
  inbox(id: string): readonly Envelope[] {
    const slot = this.slots.get(id);
    if (slot === undefined) throw new Error(`scheduler: no actor '${id}'`);
    return slot.inbox.slice(slot.head) as Envelope[];
  }

  /**
   * Take one step: deliver one message, or when every inbox is empty fire the earliest timer.
   * Returns false when nothing is left to do (quiescent).
   * Rethrows whatever an actor's `deliver` or a timer callback throws (a simulator crash).
   */
  step(): boolean {
    if (this.ready.length > 0) {
      this.deliverOne();
      return true;
    }
    const timer = this.clock.popDue();
    if (timer === undefined) return false;
    this.fire(timer);
    return true;
  }

  /** Take up to `maxSteps` steps; stops early when quiescent. */
  run(maxSteps: number): RunResult {
    let steps = 0;
    while (steps < maxSteps && this.step()) steps += 1;
    return { steps, quiescent: this.ready.length === 0 && this.clock.pending() === 0 };
  }

  private deliverOne(): void {
    const index = this.choose(this.ready.length);
    const id = this.ready[index]!;
    const slot = this.slots.get(id)!;
    const env = this.take(slot, index);
    const from = slot.actor.state();
    this.inStep = true;
    try {
      this.bus.send(env);
    } finally {
      this.inStep = false;
    }
    this.record(id, env.msg.type, env.from, from, slot.actor.state(), payloadOf(env.msg), env.sent);
  }

  /** Pop the head envelope of `slot`, whose id sits at `index` in the enabled set. */
  private take(slot: Slot, index: number): Envelope {
    const env = slot.inbox[slot.head]!;
    slot.inbox[slot.head] = undefined;
    slot.head += 1;
    this.queued -= 1;
    this.chooser?.delivered(slot.actor.id);
    if (slot.head === slot.inbox.length) {
      slot.inbox.length = 0;
      slot.head = 0;
      this.ready.splice(index, 1);
    } else if (slot.head >= 1024 && slot.head * 2 >= slot.inbox.length) {
      slot.inbox.splice(0, slot.head);
      slot.head = 0;
    }
    return env;
  }

  private fire(timer: DueTimer): void {
    const owner = this.slots.get(timer.owner)?.actor;
    // A timer's owner need not be a registered actor (e.g. 'engine'); its state is then ''.
    const from = owner?.state() ?? '';
    this.inStep = true;
    try {
      timer.fn();
    } finally {
      this.inStep = false;
    }
    this.record(timer.owner, 'timer', 'clock', from, owner?.state() ?? '', { timer: timer.id }, undefined);
  }

  private record(
    actor: string,
    event: string,
    src: string,
    from: string,
    to: string,
    payload: Record<string, unknown> | undefined,
    sent: number | undefined,
  ): void {
    const line: { -readonly [K in keyof TraceLine]: TraceLine[K] } = {
      step: this.stepCount,
      t: this.clock.now(),
      actor,
      event,
      src,
      from,
      to,
    };
    if (payload !== undefined) line.payload = payload;
    if (sent !== undefined) line.sent = sent;
    if (this.effects.length > 0) {
      line.effects = this.effects;
      this.effects = [];
    }
    this.trace.record(line);
    this.stepCount += 1;
    if (this.stepTap?.observed === true) this.stepTap.next(line);
  }

  /** Index into the enabled set of size n; records real choices (n > 1) in the tape. */
  private choose(n: number): number {
    if (n === 1) return 0;
    const index = this.fromTape(n) ?? this.fromStrategy(n);
    this.recorded.push(index);
    this.chooser?.chosen(this.ready[index]!);
    this.chosenLog?.push(this.ready[index]!);
    return index;
  }

  /** The next explicit tape entry when it is valid for n; marks divergence otherwise. */
  private fromTape(n: number): number | undefined {
    const tape = this.replay;
    if (tape === undefined) return undefined;
    const entry = tape[this.replayPos];
    if (entry === undefined) {
      this.diverged = true;
      return undefined;
    }
    this.replayPos += 1;
    if (Number.isInteger(entry) && entry >= 0 && entry < n) return entry;
    this.diverged = true;
    return undefined;
  }

  private fromStrategy(n: number): number {
    if (this.chooser !== undefined) return this.chooser.pick(this.ready);
    return this.strategy === 'random' ? this.rng.below(n) : 0;
  }
}
