// A transition table derived from an XState machine, so the hot path steps plain configurations instead
// of running an XState actor per object (creating one costs ~25 µs, a send ~3–6 µs; a run sends
// thousands). The machine stays the only definition: the table is read off `machine.root` (its state
// nodes and their `transitions`), every new configuration is computed once by XState itself (the pure
// `transition` function) and memoised, and guards and `assign` actions are the machine's own
// implementations, called as XState calls them. What is memoised is keyed by (configuration, event
// type, the transitions selected), which is all a next configuration depends on when no state has
// entry/exit actions, eventless or delayed transitions, invocations or history.
// Such a machine is rejected by `chartTable` (null), and the mirror keeps a real actor for it.
// Semantics kept from XState 5.33.3 (raise/StateMachine sources): transition selection walks the state
// value from the leaves up (`transitionNode`), the first candidate whose guard passes wins per node,
// conflicting transitions are filtered as `removeConflictingTransitions` does, actions run in the
// filtered order, a chart whose root reached a final state ignores further events (its actor stopped),
// and an event counts as refused exactly when `snapshot.can(event)` would be false and the snapshot
// did not change (`after === before && !before.can(event)`).

import { type AnyStateMachine, type StateValue, transition } from 'xstate';

/** The parts of an XState StateNode the table reads (internal but stable across 5.x). */
interface XNode {
  readonly key: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly parent?: XNode;
  readonly states: Record<string, XNode>;
  readonly transitions: Map<string, XTransition[]>;
  readonly entry: readonly unknown[];
  readonly exit: readonly unknown[];
  readonly invoke: readonly unknown[];
  readonly always?: readonly unknown[];
  readonly config: { readonly after?: unknown; readonly always?: unknown; readonly history?: unknown };
  readonly initial?: { readonly actions: readonly unknown[] };
  readonly machine: AnyStateMachine;
}

interface XTransition {
  readonly source: XNode;
  readonly target?: readonly XNode[];
  readonly guard?: unknown;
  readonly actions: readonly unknown[];
  readonly reenter: boolean;
}

type Guard = (args: { context: unknown; event: unknown }, params: undefined) => boolean;
type AssignFn = (args: Record<string, unknown>, params: undefined) => unknown;
/** An `assign` action: a function of (context, event) or an object of them. */
type Assignment = AssignFn | Record<string, unknown>;

/** What one event does in one configuration when the guards select `transitions`. */
interface Outcome {
  /** Next configuration (the same one when nothing changes state). */
  readonly next: Config;
  /** The assignments to apply to the context, in XState's order; empty when none. */
  readonly assigns: readonly Assignment[];
  /** True when the chart refuses the event (XState: same snapshot and `!can(event)`). */
  readonly refused: boolean;
}

/** One event type in one configuration: a fixed outcome when no guard is consulted, else per selection. */
interface Plan {
  /** The outcome when selection consults no guard; undefined when it does. */
  readonly fixed: Outcome | undefined;
  /** Outcomes by the selected transition's number, or the numbers joined (guarded plans). */
  readonly byChoice: Map<number | string, Outcome>;
}

/** A configuration of the chart: its canonical state string, XState's value, and what each event does. */
export interface Config {
  readonly state: string;
  readonly value: StateValue;
  /** The root is in a final state: the actor has stopped and ignores events. */
  readonly done: boolean;
  /** What each event type does here, by type (an object without prototype, read by property). */
  readonly plans: Record<string, Plan | undefined>;
  /** How XState's transitionNode walks this configuration's value (compiled once). */
  readonly walk: WalkStep;
}

/**
 * One level of XState's transitionNode over a fixed state value, compiled so that stepping a guarded
 * event reads no object keys and allocates nothing: a leaf (`child` is the active atomic state of
 * `node`), one active child region (`subs` of length 1), or a parallel node's active regions.
 */
interface WalkStep {
  readonly node: XNode;
  readonly child: XNode | null;
  readonly subs: readonly WalkStep[];
  readonly parallel: boolean;
}

function compileWalk(node: XNode, value: StateValue): WalkStep {
  if (typeof value === 'string') return { node, child: node.states[value]!, subs: [], parallel: false };
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const k = keys[0]!;
    return { node, child: null, subs: [compileWalk(node.states[k]!, value[k]!)], parallel: false };
  }
  const subs: WalkStep[] = [];
  for (const k of keys) {
    const sub = value[k];
    if (sub) subs.push(compileWalk(node.states[k]!, sub));
  }
  return { node, child: null, subs, parallel: true };
}

/** A chart's state as the table steps it: configuration and context. */
export interface ChartState {
  config: Config;
  context: unknown;
  /**
   * The context object is the chart's alone (made by `start` or by an earlier assignment and never
   * handed out), so an assignment may write it in place instead of copying it, as XState would. A
   * snapshot hands it out: the next assignment then copies, so the snapshot keeps its values.
   */
  owned: boolean;
}

const TABLES = new WeakMap<AnyStateMachine, ChartTable | null>();

/**
 * The table of `machine`, built once per machine; null when the machine uses something the table does
 * not model (entry/exit actions, invocations, eventless or delayed transitions, history, wildcard or
 * internal event descriptors, guard objects, actions other than `assign`).
 */
export function chartTable(machine: AnyStateMachine): ChartTable | null {
  let t = TABLES.get(machine);
  if (t === undefined) {
    t = supported(machine) ? new ChartTable(machine) : null;
    TABLES.set(machine, t);
  }
  return t;
}

function supported(machine: AnyStateMachine): boolean {
  const impl = machine.implementations as {
    guards: Record<string, unknown>;
    actions: Record<string, unknown>;
  };
  const ok = (node: XNode): boolean => {
    if (node.type === 'history' || node.config.history !== undefined) return false;
    if (node.entry.length > 0 || node.exit.length > 0 || node.invoke.length > 0) return false;
    if (node.config.after !== undefined || node.config.always !== undefined) return false;
    if (node.initial !== undefined && node.initial.actions.length > 0) return false;
    for (const [descriptor, ts] of node.transitions) {
      if (descriptor.includes('*') || descriptor.startsWith('xstate.')) return false;
      for (const t of ts) {
        if (t.guard !== undefined && guardOf(impl.guards, t.guard) === null) return false;
        for (const a of t.actions) if (assignmentOf(impl.actions, a) === null) return false;
      }
    }
    return Object.values(node.states).every(ok);
  };
  return ok(machine.root as unknown as XNode);
}

/** The guard function XState would call for `guard` (a name or an inline function), or null. */
function guardOf(guards: Record<string, unknown>, guard: unknown): Guard | null {
  const g = typeof guard === 'function' ? guard : typeof guard === 'string' ? guards[guard] : undefined;
  if (typeof g !== 'function' || 'check' in g) return null;
  return g as Guard;
}

/** The assignment of an `assign` action (a name or the action itself), or null for any other action. */
function assignmentOf(actions: Record<string, unknown>, action: unknown): Assignment | null {
  const a = typeof action === 'string' ? actions[action] : action;
  if (typeof a !== 'function') return null;
  const builtin = a as { type?: unknown; assignment?: unknown };
  if (builtin.type !== 'xstate.assign' || builtin.assignment === undefined) return null;
  return builtin.assignment as Assignment;
}

/**
 * Canonical state string of a snapshot value: the active leaf paths in document order, dotted and
 * space-separated (`lifecycle.initialized placement.placed.vram pin.unpinned`).
 */
export function stateString(value: unknown): string {
  if (typeof value === 'string') return value;
  const paths: string[] = [];
  flatten(value, '', paths);
  return paths.join(' ');
}

function flatten(value: unknown, prefix: string, out: string[]): void {
  if (typeof value === 'string') {
    out.push(prefix + value);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) flatten(child, `${prefix}${key}.`, out);
}

/** Is `node` a proper descendant of `ancestor`? (XState's isDescendant.) */
function isDescendant(node: XNode, ancestor: XNode): boolean {
  let m = node;
  while (m.parent !== undefined && m.parent !== ancestor) m = m.parent;
  return m.parent === ancestor;
}

function properAncestors(node: XNode): XNode[] {
  const out: XNode[] = [];
  for (let m = node.parent; m !== undefined; m = m.parent) out.push(m);
  return out;
}

export class ChartTable {
  private readonly configs = new Map<string, Config>();
  private readonly numbers = new Map<XTransition, number>();
  private readonly guards: Record<string, unknown>;
  private readonly actions: Record<string, unknown>;
  /** The argument object of assignments, reused (they read it and keep nothing). */
  private readonly args: Record<string, unknown> = {
    context: undefined,
    event: undefined,
    spawn: undefined,
    self: undefined,
    system: undefined,
  };
  private readonly assignKeys = new Map<Record<string, unknown>, readonly string[]>();
  /** Scratch for the new values of one object assignment. */
  private readonly values: unknown[] = [];
  /** The guard function of each guarded transition (resolved once, as XState resolves it per call). */
  private readonly guardFns = new Map<XTransition, Guard>();
  /** The argument object of guards, reused (they read it and keep nothing). */
  private readonly guardArgs: { context: unknown; event: unknown } = { context: undefined, event: undefined };
  /** The transitions the current selection picked, reused between steps. */
  private readonly picked: XTransition[] = [];
  /** Set when a selection made with `probing` would have consulted a guard. */
  private probing = false;
  private consulted = false;
  readonly initial: Config;

  constructor(readonly machine: AnyStateMachine) {
    const impl = machine.implementations as {
      guards: Record<string, unknown>;
      actions: Record<string, unknown>;
    };
    this.guards = impl.guards;
    this.actions = impl.actions;
    const number = (node: XNode): void => {
      for (const ts of node.transitions.values())
        for (const t of ts) {
          this.numbers.set(t, this.numbers.size);
          if (t.guard !== undefined) {
            const g = guardOf(this.guards, t.guard);
            if (g !== null) this.guardFns.set(t, g);
          }
        }
      for (const child of Object.values(node.states)) number(child);
    };
    number(machine.root as unknown as XNode);
    // The initial configuration does not depend on input here (no eventless transitions, no entry actions).
    this.initial = this.intern(initialOf(machine.root as unknown as XNode));
  }

  /** A fresh chart in its initial state; `input` goes to the machine's context factory, as XState does. */
  start(input: unknown): ChartState {
    const ctx = (this.machine.config as { context?: unknown }).context;
    if (typeof ctx === 'function') {
      const made = (ctx as (a: unknown) => unknown)({ input, spawn: undefined, self: undefined });
      return { config: this.initial, context: Object.assign({}, made), owned: true };
    }
    // The machine's own context object: shared by every chart of the machine, so never written.
    return { config: this.initial, context: ctx ?? {}, owned: false };
  }

  /** Send `event` to the chart `s` (mutated in place); true when the chart refused it. */
  step(s: ChartState, event: { readonly type: string }): boolean {
    const config = s.config;
    let plan = config.plans[event.type];
    if (plan === undefined) {
      plan = this.plan(config, event, s.context);
      config.plans[event.type] = plan;
      // Computing the plan handed the context to XState (resolveState): copy before writing again.
      s.owned = false;
    }
    let outcome = plan.fixed;
    if (outcome === undefined) {
      const picked = this.pick(config, event, s.context, false);
      const key = picked.length === 1 ? this.numbers.get(picked[0]!)! : this.keyOf(picked);
      outcome = plan.byChoice.get(key);
      if (outcome === undefined) {
        outcome = this.outcome(config, event, s.context, picked.slice());
        plan.byChoice.set(key, outcome);
        s.owned = false;
      }
    }
    const assigns = outcome.assigns;
    for (let i = 0; i < assigns.length; i += 1) this.assignInPlace(assigns[i]!, s, event);
    s.config = outcome.next;
    return outcome.refused;
  }

  /** The key of a selection of several transitions (one transition is keyed by its number). */
  private keyOf(selected: readonly XTransition[]): string {
    let key = '';
    for (const t of selected) key += `${this.numbers.get(t)!},`;
    return key;
  }

  /** The XState snapshot of chart `s` (for inspection; not used in the hot path). */
  snapshot(s: ChartState): ReturnType<AnyStateMachine['resolveState']> {
    s.owned = false;
    return this.machine.resolveState({
      value: s.config.value,
      context: s.context as Record<string, unknown>,
    });
  }

  private intern(value: StateValue): Config {
    const state = stateString(value);
    let c = this.configs.get(state);
    if (c === undefined) {
      const snap = this.machine.resolveState({ value, context: {} });
      c = {
        state,
        value: snap.value,
        done: snap.status === 'done',
        plans: Object.create(null) as Record<string, Plan | undefined>,
        walk: compileWalk(this.machine.root as unknown as XNode, snap.value),
      };
      this.configs.set(state, c);
    }
    return c;
  }

  /**
   * The plan of `event`'s type in `config`: fixed when selecting its transitions consults no guard.
   * A fixed outcome is computed (and checked against XState) with this first event and context.
   */
  private plan(config: Config, event: { readonly type: string }, context: unknown): Plan {
    const picked = this.pick(config, event, context, true);
    if (this.consulted) return { fixed: undefined, byChoice: new Map() };
    return { fixed: this.outcome(config, event, context, picked.slice()), byChoice: new Map() };
  }

  /**
   * The transitions XState's `getTransitionData` selects for `event` (transitionNode over the state
   * value), in `this.picked` (valid until the next call). With `probing`, guards are not evaluated:
   * `this.consulted` records that one would have been, and the guarded node selects nothing.
   * (Methods over the compiled walk, no closures or arrays: this runs for every guarded event.)
   */
  private pick(
    config: Config,
    event: { readonly type: string },
    context: unknown,
    probing: boolean,
  ): XTransition[] {
    // Emptied by popping: a selection holds one or two transitions, and `length = 0` is a call into the
    // runtime on every guarded event (about 1 % of a `small` run's profile).
    const picked = this.picked;
    while (picked.length > 0) picked.pop();
    this.probing = probing;
    this.consulted = false;
    this.guardArgs.context = context;
    this.guardArgs.event = event;
    this.walkStep(config.walk, event.type);
    this.guardArgs.context = undefined;
    this.guardArgs.event = undefined;
    return this.picked;
  }

  /** XState's transitionNode at one level: atomic, compound and parallel values, falling back to the parent. */
  private walkStep(w: WalkStep, type: string): boolean {
    if (w.child !== null) return this.pickFrom(w.child, type) || this.pickFrom(w.node, type);
    if (!w.parallel) return this.walkStep(w.subs[0]!, type) || this.pickFrom(w.node, type);
    const before = this.picked.length;
    for (const sub of w.subs) this.walkStep(sub, type);
    return this.picked.length > before || this.pickFrom(w.node, type);
  }

  /** XState's StateNode.next: the first candidate of `node` whose guard passes, added to `picked`. */
  private pickFrom(node: XNode, type: string): boolean {
    const candidates = node.transitions.get(type);
    if (candidates === undefined) return false;
    for (let i = 0; i < candidates.length; i += 1) {
      const t = candidates[i]!;
      if (t.guard !== undefined) {
        if (this.probing) {
          this.consulted = true;
          return false;
        }
        if (!this.guardFns.get(t)!(this.guardArgs, undefined)) continue;
      }
      this.picked.push(t);
      return true;
    }
    return false;
  }

  /**
   * What `selected` does in `config`: XState computes the next configuration (once per key), the table
   * keeps the assignments in XState's order and whether the chart refuses the event.
   */
  private outcome(
    config: Config,
    event: { readonly type: string },
    context: unknown,
    selected: readonly XTransition[],
  ): Outcome {
    const refused = !selected.some((t) => t.target !== undefined || t.actions.length > 0);
    if (config.done || selected.length === 0) return { next: config, assigns: [], refused };
    const filtered = removeConflicting(selected, this.nodesOf(config));
    const assigns = filtered.flatMap((t) => t.actions.map((a) => assignmentOf(this.actions, a)!));
    // XState takes the step once from a snapshot with this context and event: its configuration is the
    // outcome's, and its selection and context must be the table's (checked, since the table reuses it).
    const before = this.machine.resolveState({
      value: config.value,
      context: context as Record<string, unknown>,
    });
    const theirs = this.machine.getTransitionData(before, event as never) as unknown as XTransition[];
    if (theirs.length !== selected.length || theirs.some((t, i) => t !== selected[i])) {
      throw new Error(
        `chart table ${this.machine.id}: selection of ${event.type} in ${config.state} differs from XState's`,
      );
    }
    const [after] = transition(this.machine, before, event as never);
    let mine = before.context as unknown;
    for (const a of assigns) mine = this.assign(a, mine, event);
    if (!sameFields(mine, after.context)) {
      throw new Error(
        `chart table ${this.machine.id}: context after ${event.type} in ${config.state} differs from XState's`,
      );
    }
    return { next: this.intern(after.value), assigns, refused };
  }

  private nodesOf(config: Config): Set<XNode> {
    const snap = this.machine.resolveState({ value: config.value, context: {} }) as unknown as {
      _nodes: XNode[];
    };
    return new Set(snap._nodes);
  }

  /** XState's resolveAssign: the new context is the old one with the assignment's fields over it. */
  private assign(a: Assignment, context: unknown, event: unknown): unknown {
    const args = this.args;
    args.context = context;
    args.event = event;
    if (typeof a === 'function') return Object.assign({}, context, a(args, undefined));
    // Every field is computed from the old context (args.context), as XState computes its partial update.
    const next = { ...(context as Record<string, unknown>) };
    const keys = this.keysOf(a);
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      const p = a[key];
      next[key] = typeof p === 'function' ? (p as AssignFn)(args, undefined) : p;
    }
    return next;
  }

  /**
   * `assign` applied to chart `s`: the same new field values, written into the context in place when
   * the chart owns it (see ChartState.owned), else into a copy that it then owns.
   */
  private assignInPlace(a: Assignment, s: ChartState, event: unknown): void {
    if (!s.owned) {
      s.context = this.assign(a, s.context, event);
      s.owned = true;
      return;
    }
    const context = s.context as Record<string, unknown>;
    const args = this.args;
    args.context = context;
    args.event = event;
    if (typeof a === 'function') {
      Object.assign(context, a(args, undefined));
      return;
    }
    // Every value is computed from the old fields before any is written, as XState computes them.
    const keys = this.keysOf(a);
    const values = this.values;
    for (let i = 0; i < keys.length; i += 1) {
      const p = a[keys[i]!];
      values[i] = typeof p === 'function' ? (p as AssignFn)(args, undefined) : p;
    }
    for (let i = 0; i < keys.length; i += 1) {
      context[keys[i]!] = values[i];
      values[i] = undefined;
    }
  }

  private keysOf(a: Record<string, unknown>): readonly string[] {
    let keys = this.assignKeys.get(a);
    if (keys === undefined) {
      keys = Object.keys(a);
      this.assignKeys.set(a, keys);
    }
    return keys;
  }
}

/** The initial state value below `node`: initial children of compound states, every region of parallel ones. */
function initialOf(node: XNode): StateValue {
  if (node.type === 'parallel') {
    const v: Record<string, StateValue> = {};
    for (const [k, child] of Object.entries(node.states)) v[k] = initialOf(child);
    return v;
  }
  const init = (node as unknown as { initial?: { target: XNode[] } }).initial?.target[0];
  if (init === undefined) return {};
  const sub = initialOf(init);
  return typeof sub === 'object' && Object.keys(sub).length === 0 ? init.key : { [init.key]: sub };
}

function sameFields(a: unknown, b: unknown): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => Object.is(x[k], y[k]));
}

/** XState's removeConflictingTransitions, without history. */
function removeConflicting(transitions: readonly XTransition[], nodes: ReadonlySet<XNode>): XTransition[] {
  const kept = new Set<XTransition>();
  for (const t1 of transitions) {
    let preempted = false;
    const drop = new Set<XTransition>();
    for (const t2 of kept) {
      if (intersects(exitSet(t1, nodes), exitSet(t2, nodes))) {
        if (isDescendant(t1.source, t2.source)) drop.add(t2);
        else {
          preempted = true;
          break;
        }
      }
    }
    if (!preempted) {
      for (const t of drop) kept.delete(t);
      kept.add(t1);
    }
  }
  return [...kept];
}

function intersects(a: readonly XNode[], b: readonly XNode[]): boolean {
  const s = new Set(a);
  return b.some((x) => s.has(x));
}

function exitSet(t: XTransition, nodes: ReadonlySet<XNode>): XNode[] {
  if (t.target === undefined || t.target.length === 0) return [];
  const domain = domainOf(t);
  const out: XNode[] = [];
  if (t.reenter && t.source === domain) out.push(domain);
  for (const n of nodes) if (isDescendant(n, domain)) out.push(n);
  return out;
}

/** XState's getTransitionDomain, without history. */
function domainOf(t: XTransition): XNode {
  const targets = t.target!;
  if (!t.reenter && targets.every((x) => x === t.source || isDescendant(x, t.source))) return t.source;
  const all = [...targets, t.source];
  for (const anc of properAncestors(all[0]!)) {
    if (all.slice(1).every((x) => isDescendant(x, anc))) return anc;
  }
  return (t.source as unknown as { machine: { root: XNode } }).machine.root;
}
