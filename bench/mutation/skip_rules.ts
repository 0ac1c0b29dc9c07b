// Mutants the mutator skips because no run of the default suite can tell them from the original, by
// construction, stated as syntactic rules over the sources under src/ (and workers/), never as a list of
// lines. Each skipped mutant keeps the rule that skipped it, so a report can count and show them.
//
// 1. catalogue-switch: a lookup in the world's set of catalogue mutations (`E.has(MUTATION_X)`, any call
//    with a `MUTATION_*` argument such as `hasMutation(res, MUTATION_X)`, or `E.mutations.has(x)`) is false
//    in every run of the default suite, which switches no catalogue mutation on. Skipped: the lookup
//    itself (its receiver chain and its `?? false` default: they differ only for a device without a world,
//    which only unit tests build), the code that runs only when a lookup is true (the consequent of an
//    `if`/`?:` whose test is false, the right side of `S && x`), the forcing of such a test to the value it
//    always has, and the side-effect-free other operands of a conjunction that is false whatever they are.
//    A `const` initialised with such an expression (`const legacy = S ?? false`) is such an expression.
// 2. unarmed-hook: a class field of src/kernel initialised to 0, false, null or an empty Set/Map, that
//    nothing under src/ ever arms: every write to a member of that name lies inside an `if` whose test
//    reads it (the hook consuming itself), e.g. `failNextCreates`. A test of the hook's resting value
//    (`E.hook`, `E.hook > 0`, `E.hook !== 0`, `E.hook !== null`, `E.hook.has(x)`, `E.hook.size > 0`) is
//    false in every scenario run; skipped as for rule 1 (the consequent and the forcing to false). The
//    test's own operators are still mutated: `> 0` → `>= 0` arms the hook and can be seen.
// 3. unread-field: a member name that is written somewhere under src/ and read nowhere under src/ (no
//    `x.name` read, no destructuring of it, no string literal spelling it). Skipped: a statement that
//    only writes it from a side-effect-free value, a class field's or object literal's side-effect-free
//    initial value for it, except in an object literal with a `type` or `kind` key (a trace event or a
//    request to the scheduler: printed or read whole). (A generic read, such as a spread or JSON of an
//    object, is not seen by name; no check serialises kernel objects.)
// 4. dead-function: a top-level function of src/kernel whose name is referenced nowhere under src/ but in
//    its own body (imports and exports do not count; a member access of that name does): every mutant
//    inside it.

import { type AstNode, calleeName, childrenOf, hasEffects, isNode, memberName, parseModule } from './ast.ts';

export const SKIP_RULES = ['catalogue-switch', 'unarmed-hook', 'unread-field', 'dead-function'] as const;
export type SkipRule = (typeof SKIP_RULES)[number];

/** What the rules need to know of the whole program. */
export interface ProgramFacts {
  /** Unarmed hooks by name, with their resting value. */
  readonly hooks: ReadonlyMap<string, HookRest>;
  /** Member names written and never read under src/. */
  readonly unread: ReadonlySet<string>;
  /** Top-level functions of src/kernel referenced nowhere else. */
  readonly dead: ReadonlySet<string>;
}

export type HookRest = 'zero' | 'false' | 'null' | 'empty';

export const NO_FACTS: ProgramFacts = { hooks: new Map(), unread: new Set(), dead: new Set() };

const MUTATING_METHODS = new Set([
  'add',
  'set',
  'push',
  'delete',
  'clear',
  'unshift',
  'splice',
  'pop',
  'shift',
]);

interface Visit {
  node: AstNode;
  parent: AstNode | null;
  /** Ancestors, outermost first (parent last). */
  ancestors: readonly AstNode[];
}

function visitAll(root: AstNode, f: (v: Visit) => void): void {
  const stack: AstNode[] = [];
  const go = (node: AstNode): void => {
    f({ node, parent: stack.length > 0 ? stack[stack.length - 1]! : null, ancestors: stack });
    stack.push(node);
    for (const c of childrenOf(node)) go(c);
    stack.pop();
  };
  go(root);
}

/** Whether the value of `n` (an assignment or update) is used by its parent. */
function valueUnused(parent: AstNode | null, n: AstNode): boolean {
  if (parent === null) return true;
  if (parent.type === 'ExpressionStatement') return true;
  if (parent.type === 'ForStatement' && parent.update === n) return true;
  if (parent.type === 'SequenceExpression') {
    const xs = parent.expressions as AstNode[];
    return xs[xs.length - 1] !== n;
  }
  return false;
}

/** How a member access is used: a write of the member, a write through it (`.add(...)`), or a read. */
function accessKind(v: Visit): 'write' | 'mutate' | 'read' {
  const { node, parent, ancestors } = v;
  const grand = ancestors.length >= 2 ? ancestors[ancestors.length - 2]! : null;
  if (parent?.type === 'AssignmentExpression' && parent.left === node)
    return valueUnused(grand, parent) ? 'write' : 'read';
  if (parent?.type === 'UpdateExpression') return valueUnused(grand, parent) ? 'write' : 'read';
  if (
    parent !== null &&
    memberName(parent) !== null &&
    parent.object === node &&
    MUTATING_METHODS.has(memberName(parent)!) &&
    grand !== null &&
    (grand.type === 'CallExpression' || grand.type === 'OptionalCallExpression') &&
    grand.callee === parent
  )
    return 'mutate';
  return 'read';
}

function restOf(init: AstNode | null | undefined): HookRest | null {
  if (!isNode(init)) return null;
  if (init.type === 'NumericLiteral' && init.value === 0) return 'zero';
  if (init.type === 'BooleanLiteral' && init.value === false) return 'false';
  if (init.type === 'NullLiteral') return 'null';
  if (
    init.type === 'NewExpression' &&
    (init.callee as AstNode).type === 'Identifier' &&
    ['Set', 'Map'].includes((init.callee as AstNode).name as string) &&
    (init.arguments as AstNode[]).length === 0
  )
    return 'empty';
  return null;
}

/** The operands of a chain of `&&` (the expression itself when it is none). */
function conjuncts(e: AstNode): AstNode[] {
  if (e.type === 'LogicalExpression' && e.operator === '&&')
    return [...conjuncts(e.left as AstNode), ...conjuncts(e.right as AstNode)];
  return [e];
}

/**
 * Whether `e` tests a member named `name` for being away from its resting value `rest` (false at
 * rest): `E.name` (false, null), `E.name > 0` / `E.name !== 0` (zero), `E.name !== null` (null),
 * `E.name.has(x)` / `E.name.size > 0` (an empty Set or Map).
 */
export function testsAwayFromRest(e: AstNode, name: string, rest: HookRest): boolean {
  if (memberName(e) === name) return rest === 'false' || rest === 'null';
  if (e.type === 'CallExpression' || e.type === 'OptionalCallExpression') {
    const callee = e.callee as AstNode;
    return (
      rest === 'empty' &&
      calleeName(e) === 'has' &&
      memberName(callee) !== null &&
      memberName(callee.object as AstNode) === name
    );
  }
  if (e.type !== 'BinaryExpression') return false;
  const l = e.left as AstNode;
  const r = e.right as AstNode;
  const op = e.operator as string;
  if (r.type === 'NumericLiteral' && r.value === 0 && (op === '>' || op === '!==')) {
    if (memberName(l) === name) return rest === 'zero';
    return rest === 'empty' && memberName(l) === 'size' && memberName(l.object as AstNode) === name;
  }
  return r.type === 'NullLiteral' && op === '!==' && memberName(l) === name && rest === 'null';
}

/**
 * The facts of rules 2-4 over the program: `sources` maps a path relative to the repository (src/…,
 * workers/…) to its text. A pure function of the sources.
 */
export function programFacts(sources: ReadonlyMap<string, string>): ProgramFacts {
  const reads = new Set<string>();
  const written = new Set<string>();
  const strings = new Set<string>();
  /** Every write of a member name, with the tests of the `if`s whose consequent holds it. */
  const writes: { name: string; guards: AstNode[] }[] = [];
  const fields = new Map<string, HookRest | null>();
  const references = new Map<string, number>();
  const topFunctions: { name: string; start: number; end: number; file: string }[] = [];
  const ownReferences = new Map<string, number>();
  for (const file of [...sources.keys()].sort()) {
    const root = parseModule(sources.get(file)!);
    const kernel = file.startsWith('src/kernel/');
    if (kernel) {
      for (const st of root.body as AstNode[]) {
        const d = st.type === 'ExportNamedDeclaration' && isNode(st.declaration) ? st.declaration : st;
        if (d.type === 'FunctionDeclaration' && isNode(d.id))
          topFunctions.push({ name: d.id.name as string, start: d.start, end: d.end, file });
      }
    }
    const own = topFunctions.filter((f) => f.file === file);
    visitAll(root, (v) => {
      const n = v.node;
      if (n.type === 'StringLiteral') strings.add(n.value as string);
      if (
        (n.type === 'ClassProperty' || n.type === 'ClassPrivateProperty') &&
        kernel &&
        n.computed !== true
      ) {
        const key = n.key as AstNode;
        if (key.type === 'Identifier') {
          const name = key.name as string;
          const rest = restOf(n.value as AstNode | null);
          fields.set(name, fields.has(name) && fields.get(name) !== rest ? null : rest);
          written.add(name);
        }
      }
      if (n.type === 'ObjectProperty' && n.computed !== true && (n.key as AstNode).type === 'Identifier') {
        const name = (n.key as AstNode).name as string;
        // In a pattern (destructuring) the key is read; in an object literal it is written.
        if (v.parent?.type === 'ObjectPattern') reads.add(name);
        else {
          written.add(name);
          writes.push({ name, guards: [] });
        }
      }
      const m = memberName(n);
      if (m !== null) {
        const kind = accessKind(v);
        if (kind === 'read') reads.add(m);
        else {
          written.add(m);
          const guards = v.ancestors
            .filter((a, i) => a.type === 'IfStatement' && (v.ancestors[i + 1] ?? n) === a.consequent)
            .map((a) => a.test as AstNode);
          writes.push({ name: m, guards });
        }
      }
      if (n.type === 'Identifier') {
        const p = v.parent;
        const declId =
          p !== null &&
          (p.type === 'FunctionDeclaration' ||
            p.type === 'ImportSpecifier' ||
            p.type === 'ImportDefaultSpecifier' ||
            p.type === 'ImportNamespaceSpecifier' ||
            p.type === 'ExportSpecifier' ||
            (p.type === 'ObjectProperty' && p.key === n && p.computed !== true) ||
            (p.type === 'ClassProperty' && p.key === n) ||
            (p.type === 'ClassMethod' && p.key === n));
        if (!declId || (p.type === 'FunctionDeclaration' && p.id !== n)) {
          const name = n.name as string;
          const inOwn = own.some((f) => f.name === name && n.start >= f.start && n.end <= f.end);
          const table = inOwn ? ownReferences : references;
          table.set(name, (table.get(name) ?? 0) + 1);
        }
      }
    });
  }
  const hooks = new Map<string, HookRest>();
  for (const [name, rest] of [...fields].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (rest === null) continue;
    // Armed: some write of the name that is not inside an `if` testing it away from its resting value.
    const armed = writes.some(
      (w) =>
        w.name === name && !w.guards.some((t) => conjuncts(t).some((c) => testsAwayFromRest(c, name, rest))),
    );
    if (!armed) hooks.set(name, rest);
  }
  const unread = new Set([...written].filter((n) => !reads.has(n) && !strings.has(n)).sort());
  const dead = new Set(
    topFunctions
      .filter((f) => (references.get(f.name) ?? 0) === 0)
      .map((f) => f.name)
      .sort(),
  );
  return { hooks, unread, dead };
}

/** Why an expression is constant in every run of the default suite. */
export interface Constant {
  readonly value: boolean;
  readonly rule: SkipRule;
  readonly why: string;
}

/** A lookup in the catalogue's set: `E.has(MUTATION_X)`, `f(..., MUTATION_X, ...)`, `E.mutations.has(x)`. */
export function isSwitchCall(n: AstNode): boolean {
  if (n.type !== 'CallExpression' && n.type !== 'OptionalCallExpression') return false;
  const args = n.arguments as AstNode[];
  if (args.some((a) => a.type === 'Identifier' && /^MUTATION_[A-Z0-9_]+$/.test(a.name as string)))
    return true;
  const callee = n.callee as AstNode;
  if (calleeName(n) !== 'has' || memberName(callee) === null) return false;
  const recv = callee.object as AstNode;
  return memberName(recv) === 'mutations';
}

/** Evaluates which expressions of one file are constant in every run of the default suite. */
export class Constants {
  /** Names bound once in the file by `const x = <constant expression>`. */
  private readonly bound = new Map<string, Constant>();

  constructor(
    root: AstNode,
    private readonly facts: ProgramFacts,
  ) {
    const decls = new Map<string, AstNode[]>();
    visitAll(root, (v) => {
      const n = v.node;
      if (n.type === 'VariableDeclarator' && (n.id as AstNode).type === 'Identifier') {
        const name = (n.id as AstNode).name as string;
        // A `let` or `var` may be assigned again: only a `const` binds a name to its initialiser.
        const once = v.parent?.type === 'VariableDeclaration' && v.parent.kind === 'const';
        decls.set(name, [...(decls.get(name) ?? []), ...(once ? [n] : [n, n])]);
      }
      if (n.type === 'Identifier' && v.parent !== null && v.parent.type !== 'VariableDeclarator') {
        // Parameters and other bindings of the same name make the name ambiguous.
        const p = v.parent;
        if (
          (p.type === 'FunctionDeclaration' ||
            p.type === 'FunctionExpression' ||
            p.type === 'ArrowFunctionExpression' ||
            p.type === 'ClassMethod') &&
          (p.params as AstNode[]).includes(n)
        )
          decls.set(n.name as string, [...(decls.get(n.name as string) ?? []), n, n]);
      }
    });
    for (const [name, ds] of [...decls].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const d = ds[0]!;
      if (ds.length !== 1 || d.type !== 'VariableDeclarator') continue;
      const init = d.init as AstNode | null;
      if (init === null) continue;
      const c = this.of(init);
      if (c !== null) this.bound.set(name, { ...c, why: `${name} = ${c.why}` });
    }
  }

  /** The value `e` has in every run of the default suite, or null when it may vary. */
  of(e: AstNode): Constant | null {
    switch (e.type) {
      case 'CallExpression':
      case 'OptionalCallExpression':
        if (isSwitchCall(e))
          return { value: false, rule: 'catalogue-switch', why: 'a catalogue mutation switch' };
        return this.hookRead(e);
      case 'LogicalExpression': {
        const l = this.of(e.left as AstNode);
        const r = this.of(e.right as AstNode);
        if (e.operator === '??') {
          // `S ?? d`: d only for a world-less device; a switch with a false default stays false.
          const d = e.right as AstNode;
          return l !== null &&
            l.rule === 'catalogue-switch' &&
            d.type === 'BooleanLiteral' &&
            d.value === false
            ? l
            : null;
        }
        const absorbing = e.operator !== '&&';
        if (l !== null && l.value === absorbing) return l;
        if (r !== null && r.value === absorbing) return r;
        if (l !== null && r !== null) return { ...l, value: l.value };
        return null;
      }
      case 'UnaryExpression': {
        if (e.operator !== '!') return null;
        const a = this.of(e.argument as AstNode);
        return a === null ? null : { ...a, value: !a.value };
      }
      case 'Identifier':
        return this.bound.get(e.name as string) ?? null;
      case 'MemberExpression':
      case 'OptionalMemberExpression':
      case 'BinaryExpression':
        return this.hookRead(e);
    }
    return null;
  }

  /** A test of an unarmed hook away from its resting value. */
  private hookRead(e: AstNode): Constant | null {
    for (const [name, rest] of this.facts.hooks) {
      if (testsAwayFromRest(e, name, rest))
        return {
          value: false,
          rule: 'unarmed-hook',
          why: `${name} (a field nothing under src/ arms) away from ${rest}`,
        };
    }
    return null;
  }
}

/** Rule 3: a statement that only writes an unread member from a side-effect-free value. */
export function unreadWrite(n: AstNode, facts: ProgramFacts): string | null {
  if (n.type !== 'ExpressionStatement') return null;
  const e = n.expression as AstNode;
  const target =
    e.type === 'AssignmentExpression'
      ? (e.left as AstNode)
      : e.type === 'UpdateExpression'
        ? (e.argument as AstNode)
        : null;
  if (target === null) return null;
  const name = memberName(target);
  if (name === null || !facts.unread.has(name)) return null;
  if (e.type === 'AssignmentExpression' && hasEffects(e.right as AstNode)) return null;
  if (hasEffects(target.object as AstNode)) return null;
  return name;
}

/** Rule 3: the initial value of an unread member in a class field or an object literal. */
export function unreadInitialiser(n: AstNode, facts: ProgramFacts): { value: AstNode; name: string } | null {
  if (n.type !== 'ClassProperty' && n.type !== 'ObjectProperty') return null;
  if (n.computed === true) return null;
  const key = n.key as AstNode;
  if (key.type !== 'Identifier' || !facts.unread.has(key.name as string)) return null;
  const value = n.value as AstNode | null;
  if (!isNode(value) || hasEffects(value)) return null;
  return { value, name: key.name as string };
}

/**
 * Whether an object literal is an event or a request (it has a `type` or `kind` key): what it carries is
 * printed into the trace or read by the scheduler, so rule 3 never applies to its properties.
 */
export function isEventObject(n: AstNode): boolean {
  return (
    n.type === 'ObjectExpression' &&
    (n.properties as AstNode[]).some(
      (p) =>
        p.type === 'ObjectProperty' &&
        p.computed !== true &&
        (p.key as AstNode).type === 'Identifier' &&
        ['type', 'kind'].includes((p.key as AstNode).name as string),
    )
  );
}
