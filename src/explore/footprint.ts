// What each step of a run read and wrote (its footprint), recorded for the partial-order reduction of
// `verify` (src/explore/verify_por.ts). Mirrors no kernel file. Nothing here runs unless a recorder is
// attached to a run: a normal run pays nothing (no property of any object is touched).
//
// Names are slot numbers: one per field of an object, one per container (array, Map, Set, WeakMap,
// WeakSet, typed array), each given when the object is adopted (in the walk of the roots before the
// first step, or by the step that stores it where a tracked field or container holds it), never at a
// first access, whose order differs between runs. Two runs with the same prefix of steps therefore give
// the same objects the same numbers up to the end of that prefix: footprints of different runs compare
// correctly for every object that existed at their common prefix (an object made later can only be
// touched by the step that made it, or after it; two such objects sharing a number is a false conflict).
// Names outside the object graph are strings (inbox:ID, chart:ID, timers, the engine's tables by their
// path), and every container neither adopted nor named shares the one name UNTRACKED. Instrumenting is
// kept for the process (an object stays non-extensible with accessors), numbering is per recorder.
//
// How accesses are seen:
//   - objects reachable from the roots (the worlds, the objects a scenario shares between its tasks):
//     every own data field becomes an accessor (in place, so every reference to the object sees it);
//     a read of the field reads its slot, a write writes it and adopts the value (instruments what it
//     reaches). The objects are then made non-extensible and their fields non-configurable, so a field
//     added or deleted later is a TypeError (a crash the run reports), never an unrecorded access;
//   - arrays become Proxies when adopted (the field or container holding one gets the proxy); every
//     index, length or method access through it reads or writes the array's slot;
//   - Map, Set, WeakMap and WeakSet methods are patched on their prototypes while a recorder is
//     attached: every call reads or writes the container's slot (module-level WeakMaps of the kernel
//     included, as UNTRACKED), except containers of the engine's own bookkeeping (trace, statechart
//     tallies, the scheduler's tables: inboxes are named by the scheduler's hooks instead) and the
//     scratch containers of a chart table's step (footprint_run.ts: `quiet`);
//   - typed arrays (page contents) are compared with a copy after every step: a change is a write; a
//     read is seen when a field or array hands the typed array out;
//   - the scheduler's inboxes (a post writes the receiver's inbox, a delivery reads and writes its own),
//     timers (sleep and cancel write the timer queue), statechart transitions (read and write the
//     object's chart) and id counters (a Map) complete it.
// What escapes, and why it does not matter or is excluded: a task's own state (its generator's locals,
// its TaskActor fields) is touched only by its own steps, which are never compared with each other;
// engine bookkeeping (trace lines, effects, coverage tallies) does not decide what any step does; the
// per-step checks' reads are not recorded at all (verify_por.ts: checks need no footprint). A reference
// to an array kept from before it was adopted (a local of the step that made it) and state reachable
// only through closures are not seen: scenarios list what their tasks share (Workload.shared), and
// the test (test/explore/footprint.test.ts) compares final states with and without reduction.

import type { Footprint } from './sleep_sets.ts';

type AnyObj = Record<PropertyKey, unknown>;

const ORIG = {
  mapGet: Map.prototype.get,
  mapHas: Map.prototype.has,
  mapSet: Map.prototype.set,
  wmGet: WeakMap.prototype.get,
  wmHas: WeakMap.prototype.has,
  wmSet: WeakMap.prototype.set,
  setAdd: Set.prototype.add,
  setHas: Set.prototype.has,
  setValues: Set.prototype.values,
  mapEntries: Map.prototype.entries,
};

const READ_METHODS: Record<string, readonly string[]> = {
  Map: ['get', 'has', 'forEach', 'keys', 'values', 'entries'],
  Set: ['has', 'forEach', 'keys', 'values', 'entries'],
  WeakMap: ['get', 'has'],
  WeakSet: ['has'],
};
const WRITE_METHODS: Record<string, readonly string[]> = {
  Map: ['set', 'delete', 'clear'],
  Set: ['add', 'delete', 'clear'],
  WeakMap: ['set', 'delete'],
  WeakSet: ['add', 'delete'],
};
const CONTAINERS = { Map, Set, WeakMap, WeakSet } as const;

/** The recorder attached now (one at a time: runs are synchronous). */
let attached: FootprintRecorder | null = null;

// What instrumenting did to objects, kept for the process, not for one run: an object a run made
// non-extensible with accessor fields (a module-level object reachable from a scenario's roots, met again
// by every later run) cannot be instrumented twice, so its accessors and its arrays' proxies report to
// whichever recorder is attached, and each recorder numbers them when it adopts them, like every other
// object: the numbers are then the same in the first run of a process and in every later one.
/** An instrumented object's field values, by the index of the field among FIELDS. */
const VALUES = new WeakMap<object, unknown[]>();
/** An instrumented object's fields turned into accessors, in order. */
const FIELDS = new WeakMap<object, readonly PropertyKey[]>();
/** An array's proxy, and a proxy's array. */
const PROXY_OF = new WeakMap<object, object>();
const TARGET_OF = new WeakMap<object, unknown[]>();
/** Prototype methods replaced while attached, to put back. */
let saved: { proto: object; key: PropertyKey; desc: PropertyDescriptor }[] = [];

function installPatches(): void {
  for (const [name, ctor] of Object.entries(CONTAINERS)) {
    const proto = ctor.prototype as object;
    const patch = (key: PropertyKey, write: boolean) => {
      const desc = Object.getOwnPropertyDescriptor(proto, key);
      if (desc === undefined) return;
      saved.push({ proto, key, desc });
      if (typeof desc.value === 'function') {
        const orig = desc.value as (...a: unknown[]) => unknown;
        const isSet = key === 'set';
        const isAdd = key === 'add';
        const isGet = key === 'get';
        Object.defineProperty(proto, key, {
          ...desc,
          value: function (this: object, ...args: unknown[]) {
            const rec = attached;
            if (rec === null || rec.isExcluded(this)) return orig.apply(this, args);
            rec.container(this, write);
            if (!rec.isTracked(this)) {
              // A container outside the roots (a kernel module's WeakMap): its accesses are recorded; an
              // array it hands out becomes a proxy stored back, so that changes to it are seen too.
              const r = orig.apply(this, args);
              if (isGet && Array.isArray(r) && this instanceof WeakMap) {
                const proxy = rec.adoptUntrackedArray(r);
                ORIG.wmSet.call(this as WeakMap<object, unknown>, args[0] as object, proxy);
                return proxy;
              }
              return r;
            }
            // What goes into a tracked container is instrumented (an array value stored as its proxy); a
            // Set's elements and every key keep their identity (lookups compare it).
            if (isSet) return orig.call(this, args[0], rec.adopt(args[1]));
            if (isAdd) rec.adoptInPlace(args[0]);
            const r = orig.apply(this, args);
            return write ? r : rec.handOut(r);
          },
        });
      } else if (desc.get !== undefined) {
        const get = desc.get;
        Object.defineProperty(proto, key, {
          ...desc,
          get: function (this: object) {
            attached?.container(this, false);
            return get.call(this);
          },
        });
      }
    };
    for (const m of READ_METHODS[name]!) patch(m, false);
    for (const m of WRITE_METHODS[name]!) patch(m, true);
    if (name === 'Map' || name === 'Set') {
      patch(Symbol.iterator, false);
      patch('size', false);
    }
  }
}

function removePatches(): void {
  for (const s of saved.reverse()) Object.defineProperty(s.proto, s.key, s.desc);
  saved = [];
}

/** A slot: a number given when the object was adopted, or a name the same in every run. */
type Slot = number | string;

/** The slot of every container outside the roots that no name was given (see FootprintRecorder.container). */
export const UNTRACKED = 'untracked';

function isContainer(v: object): boolean {
  return v instanceof Map || v instanceof Set || v instanceof WeakMap || v instanceof WeakSet;
}

function isTyped(v: unknown): v is Uint8Array | Uint32Array | Int32Array | Float64Array {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** Objects left as they are: functions aside, those whose state lives outside their fields. */
function opaque(v: object): boolean {
  if (v instanceof Promise || v instanceof Date || v instanceof RegExp || v instanceof Error) return true;
  if (v instanceof ArrayBuffer || v instanceof DataView) return true;
  if (v instanceof WeakMap || v instanceof WeakSet) return true;
  const tag = Object.prototype.toString.call(v);
  return tag === '[object Generator]' || tag === '[object Map Iterator]' || tag === '[object Set Iterator]';
}

/**
 * Records the slots each step reads and writes. attach() before the first step, begin()/end() around
 * each step, detach() when the run is over (always: it restores the patched prototypes).
 */
export class FootprintRecorder {
  private next = 1;
  private recording = false;
  /** The current step's slots (plain sets filled through the saved Set.prototype.add). */
  private reads = new Set<Slot>();
  private writes = new Set<Slot>();
  /** Slots of containers and typed arrays, numbered when adopted; named ones for the engine's containers. */
  private readonly slots = new WeakMap<object, Slot>();
  private readonly done = new WeakMap<object, true>();
  private readonly excluded = new WeakMap<object, true>();
  /** Typed arrays read in the step under way, with their contents when first read in it. */
  private typed: { arr: ArrayLike<number>; copy: ArrayLike<number>; slot: Slot }[] = [];

  /**
   * Above 0 while a statechart takes an event (footprint_run.ts): the containers it touches that are not
   * named or adopted are its own (its table's or XState's scratch Maps and Sets, made and dropped within
   * the event), all of them covered by the `chart:<id>` name the event writes.
   */
  quiet = 0;

  /** Slot names for debugging (kept when asked for). */
  names: string[] | null = null;

  attach(): void {
    if (attached !== null) throw new Error('footprint: a recorder is already attached');
    attached = this;
    installPatches();
  }

  detach(): void {
    if (attached === this) {
      attached = null;
      removePatches();
    }
  }

  /**
   * Objects never instrumented (the run's Sim, scheduler, trace and statecharts: the engine's own state,
   * named through its hooks instead); their containers are still recorded unless excluded.
   */
  leaveAlone(...objects: readonly object[]): void {
    for (const o of objects) ORIG.wmSet.call(this.done, o, true);
  }

  /** Containers never recorded (the engine's bookkeeping). */
  exclude(...containers: readonly object[]): void {
    for (const c of containers) ORIG.wmSet.call(this.excluded, c, true);
  }

  begin(): void {
    this.reads = new Set();
    this.writes = new Set();
    this.recording = true;
  }

  /** The step's footprint (typed arrays that changed count as written). */
  end(): Footprint {
    this.recording = false;
    for (const t of this.typed) {
      const { arr, copy } = t;
      let same = arr.length === copy.length;
      for (let i = 0; same && i < arr.length; i += 1) same = arr[i] === copy[i];
      if (!same) ORIG.setAdd.call(this.writes, t.slot);
    }
    this.typed = [];
    const reads: string[] = [];
    const writes: string[] = [];
    for (const r of ORIG.setValues.call(this.reads) as IterableIterator<Slot>) reads.push(String(r));
    for (const w of ORIG.setValues.call(this.writes) as IterableIterator<Slot>) writes.push(String(w));
    return { reads, writes };
  }

  /**
   * A name outside the object graph (inbox:ID, chart:ID, timers): read and/or written by this step. The
   * name itself is the slot (never a number), so it is the same in every run whatever order the run
   * meets it in.
   */
  touchName(name: string, write: boolean): void {
    if (!this.recording) return;
    ORIG.setAdd.call(this.reads, name);
    if (write) ORIG.setAdd.call(this.writes, name);
  }

  /**
   * Name a container outside the roots (the engine's: Sim's id counters, task and ring tables) by a path
   * that is the same in every run; call before the first step.
   */
  nameContainer(c: object, name: string): void {
    if (ORIG.wmGet.call(this.slots, c) === undefined) ORIG.wmSet.call(this.slots, c, name);
  }

  /** True for containers reachable from the roots (adopted). */
  isTracked(c: object): boolean {
    return ORIG.wmHas.call(this.done, c) === true;
  }

  isExcluded(c: object): boolean {
    return c === this.reads || c === this.writes || ORIG.wmHas.call(this.excluded, c) === true;
  }

  /**
   * A Map/Set/WeakMap/WeakSet method ran on `c`. A container neither adopted nor named (a kernel module's
   * WeakMap, a Set it holds, an engine table made during the run) has no slot of its own: all of them
   * share the name UNTRACKED, since a number given at its first access in a run would depend on the
   * order the run met it in, and two runs could give one container two numbers.
   */
  container(c: object, write: boolean): void {
    if (!this.recording) return;
    const slot = (ORIG.wmGet.call(this.slots, c) as Slot | undefined) ?? UNTRACKED;
    if (slot === UNTRACKED && this.quiet > 0) return;
    ORIG.setAdd.call(this.reads, slot);
    if (write) ORIG.setAdd.call(this.writes, slot);
  }

  /** A value a container handed out: a typed array counts as read; objects are adopted (instrumented). */
  handOut(v: unknown): unknown {
    if (isTyped(v)) this.readTyped(v);
    else this.adoptInPlace(v);
    return v;
  }

  /** Instrument `v` and what it reaches, keeping its identity (an array itself stays raw). */
  adoptInPlace(v: unknown): void {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    this.adopt(v);
  }

  /** Instrument everything reachable from `root`; returns what to store in place of it (arrays: a proxy). */
  adopt(root: unknown): unknown {
    if (root === null || typeof root !== 'object') return root;
    const stack: object[] = [];
    const out = this.adoptOne(root, stack);
    for (let o = stack.pop(); o !== undefined; o = stack.pop()) this.instrument(o, stack);
    return out;
  }

  /**
   * An array handed out by a container outside the roots: a proxy whose accesses count as UNTRACKED (see
   * container()), stored back in its place; what it holds is adopted.
   */
  adoptUntrackedArray(arr: unknown[]): object {
    const target = (ORIG.wmGet.call(TARGET_OF, arr) as unknown[] | undefined) ?? arr;
    const proxy = proxyOf(target);
    if (ORIG.wmHas.call(this.done, target) !== true) {
      ORIG.wmSet.call(this.done, target, true);
      ORIG.wmSet.call(this.slots, target, UNTRACKED);
      const stack: object[] = [];
      for (let i = 0; i < target.length; i += 1) {
        const e = target[i];
        if (e !== null && typeof e === 'object') target[i] = this.adoptOne(e, stack);
      }
      for (let o = stack.pop(); o !== undefined; o = stack.pop()) this.instrument(o, stack);
    }
    return proxy;
  }

  /** Field `i` of the instrumented object `o` was read or written (UNTRACKED when this run did not adopt `o`). */
  field(o: object, i: number, write: boolean): void {
    if (!this.recording) return;
    const base = ORIG.wmGet.call(this.slots, o) as Slot | undefined;
    const slot = typeof base === 'number' ? base + i : UNTRACKED;
    ORIG.setAdd.call(this.reads, slot);
    if (write) ORIG.setAdd.call(this.writes, slot);
  }

  /** The array behind a proxy was read or written. */
  array(target: object, write: boolean): void {
    if (!this.recording) return;
    const slot = (ORIG.wmGet.call(this.slots, target) as Slot | undefined) ?? UNTRACKED;
    ORIG.setAdd.call(this.reads, slot);
    if (write) ORIG.setAdd.call(this.writes, slot);
  }

  /** Debug names: a container, array or typed array held by a field is named after it (`Class.field:Map`). */
  private nameHeld(v: object, holder: object, k: PropertyKey): void {
    const target = (ORIG.wmGet.call(TARGET_OF, v) as object | undefined) ?? v;
    const s = ORIG.wmGet.call(this.slots, target) as Slot | undefined;
    if (typeof s === 'number' && this.names !== null && this.names[s]?.includes('#') === true) {
      this.names[s] = `${holder.constructor?.name ?? '?'}.${String(k)}:${target.constructor?.name ?? '?'}`;
    }
  }

  private slotOf(c: object): Slot {
    let s = ORIG.wmGet.call(this.slots, c) as Slot | undefined;
    if (s === undefined) {
      s = this.next++;
      ORIG.wmSet.call(this.slots, c, s);
      if (this.names !== null) this.names[s] = `${c.constructor?.name ?? '?'}#${s}`;
    }
    return s;
  }

  /**
   * A typed array handed out in the step under way: its slot is read, and its contents are kept the first
   * time so that end() sees whether the step changed it. The kernel keeps page contents in fields and
   * indexes them there, so a write to one is always preceded by this read in the same step.
   */
  readTyped(v: ArrayLike<number> & object): void {
    if (!this.recording) return;
    const slot = (ORIG.wmGet.call(this.slots, v) as Slot | undefined) ?? UNTRACKED;
    if (ORIG.setHas.call(this.reads, slot) === true) return;
    ORIG.setAdd.call(this.reads, slot);
    this.typed.push({ arr: v, copy: (v as Uint8Array).slice(), slot });
  }

  /** What to store for `v`: its proxy for an array; `v` itself otherwise (queued for instrumenting). */
  private adoptOne(v: object, stack: object[]): object {
    const target =
      (ORIG.wmGet.call(TARGET_OF, v) as unknown[] | undefined) ?? (Array.isArray(v) ? v : undefined);
    if (target !== undefined) {
      const proxy = proxyOf(target);
      if (ORIG.wmHas.call(this.done, target) !== true) {
        ORIG.wmSet.call(this.done, target, true);
        this.slotOf(target);
        for (let i = 0; i < target.length; i += 1) {
          const e = target[i];
          if (e !== null && typeof e === 'object') target[i] = this.adoptOne(e, stack);
        }
      }
      return proxy;
    }
    if (ORIG.wmHas.call(this.done, v) === true) return v;
    ORIG.wmSet.call(this.done, v, true);
    // Containers and typed arrays are numbered when adopted, like fields: the number is then given at
    // the same point of every run that adopts them (never at a first access, whose order differs).
    if (isContainer(v) || isTyped(v)) this.slotOf(v);
    if (typeof v === 'function' || opaque(v)) return v;
    if (isTyped(v)) return v;
    stack.push(v);
    return v;
  }

  private instrument(o: object, stack: object[]): void {
    if (o instanceof Map) {
      for (const [k, v] of ORIG.mapEntries.call(o) as IterableIterator<[unknown, unknown]>) {
        if (k !== null && typeof k === 'object') this.adoptOne(k, stack);
        if (v !== null && typeof v === 'object') {
          const stored = this.adoptOne(v, stack);
          if (stored !== v) ORIG.mapSet.call(o, k, stored);
        }
      }
      return;
    }
    if (o instanceof Set) {
      for (const v of ORIG.setValues.call(o) as IterableIterator<unknown>) {
        if (v !== null && typeof v === 'object') this.adoptOne(v, stack);
      }
      return;
    }
    // An object instrumented by an earlier run is non-extensible with non-configurable accessors, which
    // Object.isFrozen also calls frozen: FIELDS tells them apart.
    if (ORIG.wmGet.call(FIELDS, o) === undefined && Object.isFrozen(o)) {
      for (const k of Reflect.ownKeys(o)) {
        const v = (o as AnyObj)[k];
        if (v !== null && typeof v === 'object') this.adoptOne(v, stack);
      }
      return;
    }
    const keys = (ORIG.wmGet.call(FIELDS, o) as readonly PropertyKey[] | undefined) ?? instrumentFields(o);
    const values = ORIG.wmGet.call(VALUES, o) as unknown[];
    const base = this.next;
    this.next += keys.length;
    ORIG.wmSet.call(this.slots, o, base);
    for (let i = 0; i < keys.length; i += 1) {
      if (this.names !== null) this.names[base + i] = `${o.constructor?.name ?? '?'}.${String(keys[i])}`;
      const v = values[i];
      if (v !== null && typeof v === 'object') {
        values[i] = this.adoptOne(v, stack);
        if (this.names !== null) this.nameHeld(values[i] as object, o, keys[i]!);
      }
    }
    // Fields left as data (not writable, or not configurable): what they hold is adopted in place.
    for (const k of Reflect.ownKeys(o)) {
      const desc = Object.getOwnPropertyDescriptor(o, k)!;
      if (!('value' in desc)) continue;
      const v = desc.value as unknown;
      if (v !== null && typeof v === 'object') this.adoptOne(v, stack);
    }
  }
}

/**
 * Turn the writable fields of `o` into accessors reporting to the attached recorder (once per object and
 * process: see VALUES); fields not writable become non-configurable with their value. Returns the fields
 * turned into accessors, in order.
 */
function instrumentFields(o: object): readonly PropertyKey[] {
  const keys: PropertyKey[] = [];
  const values: unknown[] = [];
  for (const k of Reflect.ownKeys(o)) {
    const desc = Object.getOwnPropertyDescriptor(o, k)!;
    if (!('value' in desc) || !desc.configurable) continue;
    if (!desc.writable) {
      Object.defineProperty(o, k, {
        value: desc.value,
        enumerable: desc.enumerable ?? false,
        configurable: false,
      });
      continue;
    }
    const i = keys.length;
    keys.push(k);
    values.push(desc.value);
    Object.defineProperty(o, k, {
      enumerable: desc.enumerable ?? false,
      configurable: false,
      get() {
        const rec = attached;
        const v = values[i];
        if (rec !== null) {
          rec.field(o, i, false);
          if (isTyped(v)) rec.readTyped(v);
        }
        return v;
      },
      set(x: unknown) {
        const rec = attached;
        if (rec === null) values[i] = x;
        else {
          rec.field(o, i, true);
          values[i] = rec.adopt(x);
        }
      },
    });
  }
  Object.preventExtensions(o);
  ORIG.wmSet.call(VALUES, o, values);
  ORIG.wmSet.call(FIELDS, o, keys);
  return keys;
}

/** The proxy of an array (made once per array and process): every access reports to the attached recorder. */
function proxyOf(target: unknown[]): object {
  const known = ORIG.wmGet.call(PROXY_OF, target) as object | undefined;
  if (known !== undefined) return known;
  const proxy = new Proxy(target, {
    get(t, k, receiver) {
      const rec = attached;
      rec?.array(t, false);
      const v = Reflect.get(t, k, receiver);
      if (rec !== null && isTyped(v)) rec.readTyped(v);
      return v;
    },
    set(t, k, v, receiver) {
      const rec = attached;
      if (rec === null) return Reflect.set(t, k, v, receiver);
      rec.array(t, true);
      return Reflect.set(t, k, rec.adopt(v), receiver);
    },
    has(t, k) {
      attached?.array(t, false);
      return Reflect.has(t, k);
    },
    deleteProperty(t, k) {
      attached?.array(t, true);
      return Reflect.deleteProperty(t, k);
    },
    ownKeys(t) {
      attached?.array(t, false);
      return Reflect.ownKeys(t);
    },
    defineProperty(t, k, d) {
      attached?.array(t, true);
      return Reflect.defineProperty(t, k, d);
    },
  });
  ORIG.wmSet.call(PROXY_OF, target, proxy);
  ORIG.wmSet.call(TARGET_OF, proxy, target);
  return proxy;
}
