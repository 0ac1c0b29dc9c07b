// A small mutator over the TypeScript AST of the kernel model (src/kernel/*.ts), with operators like
// StrykerJS's. The source is parsed with @babel/parser (plugin 'typescript'); every mutant is one text
// replacement of a node's source range [start, end), so applying a mutant is a string splice and the
// mutated file is still valid TypeScript (checked again by parsing it, see `isValidMutant`).
//
// Not mutated, and why:
// - comments, types (type annotations, interfaces, type aliases, generics, `declare` fields), enums and
//   imports/exports: they do not run, or a change there is a compile error rather than a behaviour;
// - `throw new Error(...)` and the `if (...)` guard whose only consequent is such a throw: a throw is a
//   simulator bug by the project's rules (errors are errno values), so mutating the guard either makes
//   every run crash or removes a check that no correct model ever trips; neither says anything about
//   the checks' strength;
// - template literals: they build names and messages, not model state;
// - calls of the check functions listed in `options.skipCallees` (the WARN_ON and lock assertions of
//   src/kernel/rules/check.ts) with their arguments, an `if` whose only consequent is such a call, and an
//   `if (warnOn(...))` without else together with its consequent (the path upstream takes after a WARN,
//   run only once a rule is broken and already reported): code that only judges. Weakening a check can
//   never be seen by a suite that passes on the unmutated model, so such mutants would measure nothing.

import { type AstNode, calleeName, childrenOf, hasEffects, isNode, parseModule } from './ast.ts';
import {
  Constants,
  isEventObject,
  isSwitchCall,
  NO_FACTS,
  type ProgramFacts,
  type SkipRule,
  unreadInitialiser,
  unreadWrite,
} from './skip_rules.ts';

export { parseModule } from './ast.ts';

/** One mutant: replace source[start, end) of `file` with `replacement`. */
export interface Mutant {
  /** Path relative to the repository root, e.g. `src/kernel/bo.ts`. */
  readonly file: string;
  /** 1-based line and 0-based column of the mutated token (the operator for binary/logical mutants). */
  readonly line: number;
  readonly column: number;
  readonly start: number;
  readonly end: number;
  readonly operator: MutationOperator;
  readonly original: string;
  readonly replacement: string;
}

/** A mutant a skip rule (bench/mutation/skip_rules.ts) leaves out, with the rule and why it applies. */
export interface SkippedMutant extends Mutant {
  readonly rule: SkipRule;
  readonly why: string;
}

export const MUTATION_OPERATORS = [
  'relational-boundary',
  'relational-negation',
  'equality-negation',
  'logical',
  'arithmetic',
  'unary-removal',
  'update',
  'boolean-literal',
  'condition-true',
  'condition-false',
  'statement-removal',
  'return-value',
  'numeric-constant',
  'optional-chaining',
] as const;
export type MutationOperator = (typeof MUTATION_OPERATORS)[number];

export interface MutatorOptions {
  /** Callee names (plain `f(...)` or the last member of `a.b.f(...)`) whose call statements are not mutated. */
  readonly skipCallees?: readonly string[];
  /** What the skip rules know of the whole program (programFacts of skip_rules.ts); none by default. */
  readonly facts?: ProgramFacts;
}

const BOUNDARY: Record<string, string> = { '<': '<=', '<=': '<', '>': '>=', '>=': '>' };
const NEGATED: Record<string, string> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<' };
const EQUALITY: Record<string, string> = { '===': '!==', '!==': '===', '==': '!=', '!=': '==' };
const ARITHMETIC: Record<string, string> = { '+': '-', '-': '+', '*': '/', '/': '*', '%': '*' };
const LOGICAL: Record<string, string> = { '&&': '||', '||': '&&' };

/** TypeScript nodes that wrap a runtime expression: only their `expression` is walked. */
const TS_EXPRESSION_WRAPPERS = new Set([
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSNonNullExpression',
  'TSTypeAssertion',
  'TSInstantiationExpression',
]);

function isThrowOfError(n: AstNode): boolean {
  return n.type === 'ThrowStatement';
}

/** A statement that only calls one of `skip` (a check reporting a broken rule). */
function isSkippedCall(n: AstNode, skip: ReadonlySet<string>): boolean {
  return n.type === 'ExpressionStatement' && isCheckCall(n.expression as AstNode, skip);
}

/** The statement alone, or a block holding exactly that one statement. */
function soleStatement(n: AstNode): AstNode {
  if (n.type === 'BlockStatement') {
    const body = n.body as AstNode[];
    if (body.length === 1) return body[0]!;
  }
  return n;
}

/** A call of one of `skip`, possibly negated. */
function isCheckCall(e: AstNode, skip: ReadonlySet<string>): boolean {
  if (e.type === 'UnaryExpression' && e.operator === '!') return isCheckCall(e.argument as AstNode, skip);
  if (e.type !== 'CallExpression' && e.type !== 'OptionalCallExpression') return false;
  const name = calleeName(e);
  return name !== null && skip.has(name);
}

/**
 * A guard with no else: `if (c) throw ...`, `if (c) check(...)`, or `if (check(...)) ...` (the path a
 * kernel takes after its WARN_ON, run only when a rule is already broken and reported).
 */
function isGuard(n: AstNode, skip: ReadonlySet<string>): boolean {
  if (n.type !== 'IfStatement' || n.alternate !== null) return false;
  const s = soleStatement(n.consequent as AstNode);
  return isThrowOfError(s) || isSkippedCall(s, skip) || isCheckCall(n.test as AstNode, skip);
}

/** Offset of `token` in source[from, to), where the rest of that range is whitespace and parentheses. */
function tokenOffset(source: string, from: number, to: number, token: string): number {
  const slice = source.slice(from, to);
  const at = slice.indexOf(token);
  if (at < 0) throw new Error(`mutator: token ${token} not found between ${from} and ${to}`);
  return from + at;
}

/** Why the mutants of a subtree (or one mutant) are skipped. */
interface SkipReason {
  readonly rule: SkipRule;
  readonly why: string;
  /** The subtree's value is ignored (it still runs): removing a `?.` there may throw, so it is kept. */
  readonly valueIgnored?: boolean;
}

class Collector {
  readonly out: Mutant[] = [];
  readonly skipped: SkippedMutant[] = [];
  private readonly lineStarts: number[] = [0];
  /** The skip rule in force for the subtree being walked. */
  private reason: SkipReason | null = null;
  /** One mutant of a constant test skipped: `${start}:${operator}` → why. */
  private readonly single = new Map<string, SkipReason>();
  private readonly constants: Constants;
  /** Properties of event and request objects (rule 3 does not apply to them). */
  private readonly events = new Set<AstNode>();

  constructor(
    private readonly file: string,
    private readonly source: string,
    private readonly skip: ReadonlySet<string>,
    private readonly facts: ProgramFacts,
    root: AstNode,
  ) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    this.constants = new Constants(root, facts);
  }

  /** Walk `node` with `reason` in force (the outer reason, if any, wins). */
  private walkSkipping(node: AstNode, reason: SkipReason | null): void {
    if (reason === null || this.reason !== null) {
      this.walk(node);
      return;
    }
    this.reason = reason;
    try {
      this.walk(node);
    } finally {
      this.reason = null;
    }
  }

  /** The skip rule a node brings for its whole subtree, if any. */
  private subtreeReason(node: AstNode): SkipReason | null {
    if (isSwitchCall(node))
      return { rule: 'catalogue-switch', why: 'the lookup of a catalogue mutation switch' };
    if (node.type === 'LogicalExpression' && node.operator === '??' && isSwitchCall(node.left as AstNode))
      return { rule: 'catalogue-switch', why: 'the lookup of a catalogue mutation switch' };
    if (node.type === 'FunctionDeclaration' && isNode(node.id) && this.facts.dead.has(node.id.name as string))
      return { rule: 'dead-function', why: `${node.id.name as string} is called by nothing under src/` };
    const w = unreadWrite(node, this.facts);
    if (w !== null) return { rule: 'unread-field', why: `writes ${w}, which nothing under src/ reads` };
    return null;
  }

  /** The skip rule for one child of `node` (code a constant test never runs, an unread initial value). */
  private childReason(node: AstNode, child: AstNode): SkipReason | null {
    if (node.type === 'IfStatement' || node.type === 'ConditionalExpression') {
      const c = this.constants.of(node.test as AstNode);
      if (c === null) return null;
      const dead = c.value ? node.alternate : node.consequent;
      if (child === dead)
        return { rule: c.rule, why: `runs only when ${c.why} is ${c.value ? 'false' : 'true'}` };
      return null;
    }
    if (node.type === 'LogicalExpression' && (node.operator === '&&' || node.operator === '||')) {
      const absorbing = node.operator === '||';
      const c = this.constants.of(node);
      if (c === null || c.value !== absorbing) return null;
      const left = node.left as AstNode;
      const lc = this.constants.of(left);
      if (child === node.right && lc !== null && lc.value === absorbing)
        return { rule: lc.rule, why: `evaluated only when ${lc.why} is ${absorbing ? 'false' : 'true'}` };
      if (child === left && (lc === null || lc.value !== absorbing) && !hasEffects(left))
        return {
          rule: c.rule,
          valueIgnored: true,
          why: `its value is ignored: the ${node.operator === '&&' ? 'conjunction' : 'disjunction'} is ${absorbing} whatever it is (${c.why})`,
        };
      return null;
    }
    if (isEventObject(node)) {
      this.events.add(child);
      return null;
    }
    const init = this.events.has(node) ? null : unreadInitialiser(node, this.facts);
    if (init !== null && child === init.value)
      return {
        rule: 'unread-field',
        why: `the initial value of ${init.name}, which nothing under src/ reads`,
      };
    return null;
  }

  private position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! };
  }

  /** A mutant replacing the whole node's text. `focus` is the offset its line and column name. */
  private add(node: AstNode, operator: MutationOperator, replacement: string, focus = node.start): void {
    const original = this.source.slice(node.start, node.end);
    if (replacement === original) return;
    const { line, column } = this.position(focus);
    const m: Mutant = {
      file: this.file,
      line,
      column,
      start: node.start,
      end: node.end,
      operator,
      original,
      replacement,
    };
    // Removing `?.` may throw where the receiver is nullish: never skipped for a value being ignored.
    const reason =
      this.reason !== null && !(operator === 'optional-chaining' && this.reason.valueIgnored === true)
        ? this.reason
        : (this.single.get(`${node.start}:${operator}`) ?? null);
    if (reason === null) this.out.push(m);
    else this.skipped.push({ ...m, rule: reason.rule, why: reason.why });
  }

  /** The node's text with source[at, at + length) replaced by `text`. */
  private splice(node: AstNode, at: number, length: number, text: string): string {
    return this.source.slice(node.start, at) + text + this.source.slice(at + length, node.end);
  }

  walk(node: AstNode): void {
    switch (node.type) {
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
      case 'TemplateLiteral':
      case 'ThrowStatement':
      case 'TSEnumDeclaration':
      case 'TSDeclareFunction':
      case 'TSDeclareMethod':
      case 'TSModuleDeclaration':
        return;
      case 'ExportNamedDeclaration':
        if (node.declaration !== null && node.declaration !== undefined)
          this.walk(node.declaration as AstNode);
        return;
      case 'ClassProperty':
      case 'ClassPrivateProperty':
        if (node.declare === true) return;
        break;
    }
    if (node.type.startsWith('TS')) {
      if (TS_EXPRESSION_WRAPPERS.has(node.type)) this.walk(node.expression as AstNode);
      else if (node.type === 'TSParameterProperty') this.walk(node.parameter as AstNode);
      return;
    }
    if (isGuard(node, this.skip) || isSkippedCall(node, this.skip) || isCheckCall(node, this.skip)) return;
    const own = this.reason === null ? this.subtreeReason(node) : null;
    if (own !== null) {
      this.walkSkipping(node, own);
      return;
    }
    this.markConstantTest(node);
    this.mutate(node);
    for (const child of childrenOf(node)) this.walkSkipping(child, this.childReason(node, child));
  }

  /** A test constant in every run: forcing it to that value is skipped. */
  private markConstantTest(node: AstNode): void {
    if (
      node.type !== 'IfStatement' &&
      node.type !== 'ConditionalExpression' &&
      node.type !== 'WhileStatement' &&
      node.type !== 'DoWhileStatement' &&
      node.type !== 'ForStatement'
    )
      return;
    const test = node.test as AstNode | null;
    if (test === null) return;
    const c = this.constants.of(test);
    if (c === null) return;
    this.single.set(`${test.start}:condition-${c.value ? 'true' : 'false'}`, {
      rule: c.rule,
      why: `forces the test to the value it has in every run (${c.why})`,
    });
  }

  private mutate(node: AstNode): void {
    switch (node.type) {
      case 'BinaryExpression':
        this.binary(node);
        return;
      case 'LogicalExpression': {
        const op = node.operator as string;
        const to = LOGICAL[op];
        if (to === undefined) return;
        const at = tokenOffset(this.source, (node.left as AstNode).end, (node.right as AstNode).start, op);
        this.add(node, 'logical', this.splice(node, at, op.length, to), at);
        return;
      }
      case 'UnaryExpression': {
        const op = node.operator as string;
        if (op !== '-' && op !== '!') return;
        // The operator is the node's first character; what follows keeps its parentheses: `!(a)` → `(a)`.
        this.add(node, 'unary-removal', this.source.slice(node.start + 1, node.end).trimStart());
        return;
      }
      case 'UpdateExpression': {
        const op = node.operator as string;
        const to = op === '++' ? '--' : '++';
        const arg = node.argument as AstNode;
        const at = node.prefix === true ? node.start : arg.end;
        const opAt = tokenOffset(this.source, at, node.prefix === true ? arg.start : node.end, op);
        this.add(node, 'update', this.splice(node, opAt, op.length, to), opAt);
        return;
      }
      case 'BooleanLiteral':
        this.add(node, 'boolean-literal', node.value === true ? 'false' : 'true');
        return;
      case 'NumericLiteral': {
        const v = node.value as number;
        if (!Number.isInteger(v)) return;
        this.add(node, 'numeric-constant', String(v + 1));
        this.add(node, 'numeric-constant', String(v - 1));
        return;
      }
      case 'IfStatement':
      case 'ConditionalExpression': {
        const test = node.test as AstNode;
        if (test.type === 'BooleanLiteral') return;
        this.add(test, 'condition-true', 'true');
        this.add(test, 'condition-false', 'false');
        return;
      }
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'ForStatement': {
        // Forced false only: forced true would only loop until the time limit.
        const test = node.test as AstNode | null;
        if (test === null || test.type === 'BooleanLiteral') return;
        this.add(test, 'condition-false', 'false');
        return;
      }
      case 'ExpressionStatement': {
        const e = node.expression as AstNode;
        const calls =
          e.type === 'CallExpression' ||
          e.type === 'OptionalCallExpression' ||
          e.type === 'AssignmentExpression' ||
          e.type === 'UpdateExpression' ||
          (e.type === 'AwaitExpression' && isNode(e.argument)) ||
          (e.type === 'YieldExpression' && isNode(e.argument));
        if (calls) this.add(node, 'statement-removal', ';');
        return;
      }
      case 'BreakStatement':
      case 'ContinueStatement':
        this.add(node, 'statement-removal', ';');
        return;
      case 'ReturnStatement': {
        const arg = node.argument as AstNode | null;
        if (
          arg !== null &&
          arg.type === 'UnaryExpression' &&
          arg.operator === '-' &&
          (arg.argument as AstNode).type === 'Identifier' &&
          /^E[A-Z0-9]+$/.test((arg.argument as AstNode).name as string)
        )
          this.add(arg, 'return-value', '0');
        return;
      }
      case 'OptionalMemberExpression':
      case 'OptionalCallExpression': {
        if (node.optional !== true) return;
        const head = (node.type === 'OptionalMemberExpression' ? node.object : node.callee) as AstNode;
        const at = tokenOffset(this.source, head.end, node.end, '?.');
        const next = this.source[at + 2];
        // `a?.b` → `a.b`; `a?.[i]` → `a[i]`; `f?.(x)` → `f(x)`.
        this.add(
          node,
          'optional-chaining',
          this.splice(node, at, 2, next === '[' || next === '(' ? '' : '.'),
          at,
        );
        return;
      }
    }
  }

  private binary(node: AstNode): void {
    const op = node.operator as string;
    const left = node.left as AstNode;
    const right = node.right as AstNode;
    const at = tokenOffset(this.source, left.end, right.start, op);
    const swap = (operator: MutationOperator, to: string | undefined) => {
      if (to !== undefined) this.add(node, operator, this.splice(node, at, op.length, to), at);
    };
    swap('relational-boundary', BOUNDARY[op]);
    swap('relational-negation', NEGATED[op]);
    swap('equality-negation', EQUALITY[op]);
    const stringy = (n: AstNode) => n.type === 'StringLiteral' || n.type === 'TemplateLiteral';
    if (!(op === '+' && (stringy(left) || stringy(right)))) swap('arithmetic', ARITHMETIC[op]);
  }
}

/**
 * Every mutant of one file, in source order (by start, then end, then operator, then replacement):
 * a pure function of the text.
 */
export function mutantsOf(file: string, source: string, options: MutatorOptions = {}): Mutant[] {
  return classifyMutants(file, source, options).mutants;
}

function bySourceOrder(a: Mutant, b: Mutant): number {
  const opIndex = (o: MutationOperator) => MUTATION_OPERATORS.indexOf(o);
  return (
    a.start - b.start ||
    a.end - b.end ||
    opIndex(a.operator) - opIndex(b.operator) ||
    (a.replacement < b.replacement ? -1 : a.replacement > b.replacement ? 1 : 0)
  );
}

/**
 * Every mutant of one file, split into the candidates and the mutants a skip rule leaves out (both in
 * source order): a pure function of the text and the options.
 */
export function classifyMutants(
  file: string,
  source: string,
  options: MutatorOptions = {},
): { mutants: Mutant[]; skipped: SkippedMutant[] } {
  const root = parseModule(source);
  const c = new Collector(file, source, new Set(options.skipCallees ?? []), options.facts ?? NO_FACTS, root);
  c.walk(root);
  return { mutants: c.out.sort(bySourceOrder), skipped: c.skipped.sort(bySourceOrder) };
}

/** The file's text with the mutant applied. */
export function applyMutant(source: string, m: Mutant): string {
  if (source.slice(m.start, m.end) !== m.original)
    throw new Error(`mutant ${m.file}:${m.line} does not match the source it is applied to`);
  return source.slice(0, m.start) + m.replacement + source.slice(m.end);
}

/** Whether the mutated text still parses (a mutant that does not would only measure a syntax error). */
export function isValidMutant(source: string, m: Mutant): boolean {
  try {
    parseModule(applyMutant(source, m));
    return true;
  } catch {
    return false;
  }
}

/** A stable key of a mutant: file, range and replacement. */
export function mutantKey(m: Pick<Mutant, 'file' | 'start' | 'end' | 'replacement'>): string {
  return `${m.file}:${m.start}-${m.end}:${m.replacement}`;
}

/** One line of source text for a report: whitespace collapsed, long text cut in the middle. */
export function oneLine(text: string, max = 100): string {
  const s = text.replace(/\s+/g, ' ').trim();
  if (s.length <= max) return s;
  const half = Math.floor((max - 1) / 2);
  return `${s.slice(0, half)}…${s.slice(s.length - half)}`;
}

/** Names of the functions a module exports (`export function f`), in source order. */
export function exportedFunctions(source: string): string[] {
  const out: string[] = [];
  for (const st of parseModule(source).body as AstNode[]) {
    if (st.type !== 'ExportNamedDeclaration' || !isNode(st.declaration)) continue;
    const d = st.declaration;
    if (d.type === 'FunctionDeclaration' && isNode(d.id)) out.push(d.id.name as string);
  }
  return out;
}
