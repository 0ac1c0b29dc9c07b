// The TypeScript AST as the mutator and its skip rules see it: @babel/parser (plugin 'typescript') with
// source ranges, nodes as plain objects, children in source order with the type-only keys left out.

import { parse } from '@babel/parser';

export interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

/** Keys of a node that hold types only (never walked). */
const TYPE_KEYS = new Set([
  'typeAnnotation',
  'returnType',
  'typeParameters',
  'typeArguments',
  'superTypeParameters',
  'superTypeArguments',
  'implements',
  'predicate',
]);

export function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

/** Children of a node in source order (the order of its keys is not always source order). */
export function childrenOf(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  for (const key of Object.keys(node)) {
    if (TYPE_KEYS.has(key) || key === 'loc' || key === 'extra' || key.endsWith('Comments')) continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const x of v) if (isNode(x)) out.push(x);
    } else if (isNode(v)) out.push(v);
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Parse a TypeScript module as the mutator does. */
export function parseModule(source: string): AstNode {
  return parse(source, { sourceType: 'module', plugins: ['typescript'], ranges: true })
    .program as unknown as AstNode;
}

/** The name of a non-computed member access `a.name` / `a?.name`, else null. */
export function memberName(n: AstNode): string | null {
  if (n.type !== 'MemberExpression' && n.type !== 'OptionalMemberExpression') return null;
  if (n.computed === true) return null;
  const p = n.property as AstNode;
  return p.type === 'Identifier' ? (p.name as string) : null;
}

/** The callee's name of a call: `f(...)` or the last member of `a.b.f(...)`. */
export function calleeName(call: AstNode): string | null {
  const callee = call.callee as AstNode;
  if (callee.type === 'Identifier') return callee.name as string;
  return memberName(callee);
}

/** Whether evaluating `n` can have an effect beyond its value: a call, `new`, an assignment, ++/--, yield, await. */
export function hasEffects(n: AstNode): boolean {
  switch (n.type) {
    case 'CallExpression':
    case 'OptionalCallExpression':
    case 'NewExpression':
    case 'AssignmentExpression':
    case 'UpdateExpression':
    case 'YieldExpression':
    case 'AwaitExpression':
    case 'TaggedTemplateExpression':
      return true;
    case 'ArrowFunctionExpression':
    case 'FunctionExpression':
      return false;
  }
  return childrenOf(n).some(hasEffects);
}
