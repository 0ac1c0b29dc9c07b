// Exports every statechart of the model as Mermaid stateDiagram-v2, SCXML and Stately-importable JSON,
// by walking XState's live state-node tree (machine.root): compound and parallel states (regions
// separated by `--`), initial and final states, guards by name, targetless (internal) transitions as
// self-loops, delayed (`after`) and eventless (`always`) transitions.

import type { AnyStateMachine } from 'xstate';
import { MACHINES } from '../sim/mirror.ts';

/** What each exported chart is and which kernel file it mirrors. */
export const CHARTS: readonly {
  readonly name: string;
  readonly mirrors: string;
  readonly machine: AnyStateMachine;
}[] = [
  { name: 'ttm_bo', mirrors: 'drivers/gpu/drm/ttm/ttm_bo.c', machine: MACHINES.bo },
  { name: 'dma_resv', mirrors: 'drivers/dma-buf/dma-resv.c (ww_mutex)', machine: MACHINES.resv },
  { name: 'ttm_resource', mirrors: 'drivers/gpu/drm/ttm/ttm_resource.c', machine: MACHINES.resource },
  {
    name: 'ttm_resource_manager',
    mirrors: 'drivers/gpu/drm/ttm/ttm_resource.c, ttm_range_manager.c, ttm_sys_manager.c',
    machine: MACHINES.manager,
  },
  { name: 'ttm_device', mirrors: 'drivers/gpu/drm/ttm/ttm_device.c', machine: MACHINES.device },
  { name: 'task', mirrors: 'a kernel thread running a TTM path', machine: MACHINES.task },
  { name: 'gpu_ring', mirrors: 'a dma_fence timeline', machine: MACHINES.ring },
  {
    name: 'ttm_tt',
    mirrors: 'drivers/gpu/drm/ttm/ttm_tt.c (with ttm_pool.c backup/restore)',
    machine: MACHINES.tt,
  },
  { name: 'ttm_pool', mirrors: 'drivers/gpu/drm/ttm/ttm_pool.c (pooled free pages)', machine: MACHINES.pool },
  { name: 'swap', mirrors: 'the swap space of shmem backups (ttm_backup.c)', machine: MACHINES.swap },
  {
    name: 'iommu',
    mirrors:
      'an IOVA space behind an IOMMU, one per IOMMU whatever the devices behind it (dma_map_page, dma_unmap_page)',
    machine: MACHINES.iommu,
  },
  { name: 'shrinker', mirrors: 'drivers/gpu/drm/xe/xe_shrinker.c (shape)', machine: MACHINES.shrinker },
];

export type ChartFormat = 'mermaid' | 'scxml' | 'json';
export const CHART_FORMATS: readonly ChartFormat[] = ['mermaid', 'scxml', 'json'];
export const CHART_EXTENSION: Record<ChartFormat, string> = { mermaid: 'mmd', scxml: 'scxml', json: 'json' };

/** The parts of XState's StateNode this exporter reads. */
interface Node {
  readonly id: string;
  readonly key: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly states: Record<string, Node>;
  readonly initial?: { readonly target: readonly Node[] } | undefined;
  readonly transitions: Map<string, readonly Transition[]>;
  readonly always?: readonly Transition[] | undefined;
}

interface Transition {
  readonly target?: readonly Node[] | undefined;
  readonly guard?: unknown;
  readonly eventType: string;
}

function rootOf(machine: AnyStateMachine): Node {
  return machine.root as unknown as Node;
}

function children(node: Node): Node[] {
  return Object.values(node.states);
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'guard';
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'guard';
}

/** `xstate.after.100.id` → `after 100ms`; other events as they are. */
function eventLabel(event: string): string {
  const m = /^xstate\.after\.([^.]+)\./.exec(event);
  if (m === null) return event;
  return /^\d+$/.test(m[1]!) ? `after ${m[1]}ms` : `after ${m[1]}`;
}

interface Edge {
  readonly from: Node;
  readonly to: Node | null;
  readonly label: string;
}

function edgesOf(node: Node): Edge[] {
  const out: Edge[] = [];
  for (const [event, transitions] of node.transitions) {
    for (const t of transitions) {
      const g = guardName(t.guard);
      const label = `${eventLabel(event)}${g === null ? '' : ` [${g}]`}`;
      if (t.target === undefined || t.target.length === 0) out.push({ from: node, to: null, label });
      else for (const target of t.target) out.push({ from: node, to: target, label });
    }
  }
  for (const t of node.always ?? []) {
    const g = guardName(t.guard);
    for (const target of t.target ?? [])
      out.push({ from: node, to: target, label: `always${g === null ? '' : ` [${g}]`}` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Mermaid
//
// Mermaid's state diagrams draw a composite state as a cluster box, and an edge that starts or ends on a
// cluster is routed to the box's border (dagre) or dropped (ELK): the arrow points at nothing and its
// label lands on another edge. So every edge is drawn between simple states, with XState's meaning:
// - a transition declared on a composite state S (the BO's `placement` region, `ttm_pool`, `shrinker`)
//   is taken from whichever of S's leaf states is active, unless a state between that leaf and S has an
//   unguarded transition on the same event (the innermost handler wins, SCXML's document order):
//   it becomes one edge from each such leaf;
// - a transition into a composite state enters its initial state, recursively (every region's for a
//   parallel state): it becomes one edge to each initial leaf entered;
// - a targetless (internal) transition leaves the active leaf where it is: a self-loop on it.

function mid(node: Node): string {
  return node.id.replace(/[^A-Za-z0-9_]/g, '_');
}

/** The leaf (atomic or final) states at or under `node`, in document order. */
function leavesOf(node: Node): Node[] {
  const kids = children(node);
  return kids.length === 0 ? [node] : kids.flatMap(leavesOf);
}

/** The leaves entered when `node` is entered: its initial states, recursively (all regions of a parallel). */
function enteredLeaves(node: Node): Node[] {
  const kids = children(node);
  if (kids.length === 0) return [node];
  if (node.type === 'parallel') return kids.flatMap(enteredLeaves);
  const initial = node.initial?.target ?? [];
  return (initial.length > 0 ? initial : [kids[0]!]).flatMap(enteredLeaves);
}

/** The states from `leaf` up to, not including, `top` (an ancestor of `leaf`). */
function pathBelow(leaf: Node, top: Node): Node[] {
  const out: Node[] = [];
  const walk = (n: Node, trail: Node[]): boolean => {
    if (n === leaf) {
      out.push(...trail, n);
      return true;
    }
    return children(n).some((c) => walk(c, [...trail, n]));
  };
  for (const c of children(top)) if (walk(c, [])) break;
  return out;
}

/** True when `node` handles `event` with a transition that has no guard (it always shadows its ancestors'). */
function handlesUnguarded(node: Node, event: string): boolean {
  const ts = event === 'always' ? node.always : node.transitions.get(event);
  return (ts ?? []).some((t) => guardName(t.guard) === null);
}

/**
 * One drawn edge between two simple states (a self-loop for internal transitions) with the labels of
 * every transition it stands for: Mermaid keeps one edge per ordered pair of states (a second
 * `a --> b` replaces the first's label), so transitions between the same two states share an edge and
 * their labels are stacked on it.
 */
export interface DrawnEdge {
  readonly from: string;
  readonly to: string;
  readonly labels: readonly string[];
}

/**
 * The edges a Mermaid chart of `machine` draws, between simple states (see above), in the order their
 * first transition is declared: what the rendered SVG must show.
 */
export function drawnEdges(machine: AnyStateMachine): DrawnEdge[] {
  const byPair = new Map<string, { from: string; to: string; labels: string[] }>();
  const visit = (node: Node): void => {
    const edges: { event: string; e: Edge }[] = [];
    for (const [event, transitions] of node.transitions)
      for (const e of edgesOf({ ...node, transitions: new Map([[event, transitions]]), always: [] }))
        edges.push({ event, e });
    for (const e of edgesOf({ ...node, transitions: new Map(), always: node.always }))
      edges.push({ event: 'always', e });
    for (const { event, e } of edges) {
      const sources =
        children(node).length === 0
          ? [node]
          : leavesOf(node).filter((leaf) => !pathBelow(leaf, node).some((n) => handlesUnguarded(n, event)));
      const internal = e.to === null;
      for (const from of sources) {
        const targets = internal ? [from] : enteredLeaves(e.to!);
        for (const to of targets) {
          const key = `${mid(from)} ${mid(to)}`;
          let edge = byPair.get(key);
          if (edge === undefined) {
            edge = { from: mid(from), to: mid(to), labels: [] };
            byPair.set(key, edge);
          }
          const label = `${e.label}${internal ? ' (internal)' : ''}`;
          if (!edge.labels.includes(label)) edge.labels.push(label);
        }
      }
    }
    for (const c of children(node)) visit(c);
  };
  visit(rootOf(machine));
  return [...byPair.values()];
}

function mermaidNode(node: Node, indent: string, lines: string[]): void {
  const kids = children(node);
  if (kids.length === 0) {
    lines.push(`${indent}state "${node.key}" as ${mid(node)}`);
    return;
  }
  lines.push(`${indent}state "${node.key}" as ${mid(node)} {`);
  kids.forEach((child, i) => {
    if (node.type === 'parallel' && i > 0) lines.push(`${indent}  --`);
    mermaidNode(child, `${indent}  `, lines);
  });
  // The initial pseudo-state points at the initial child's entered leaves (never at a cluster).
  for (const target of node.initial?.target ?? [])
    for (const leaf of enteredLeaves(target)) lines.push(`${indent}  [*] --> ${mid(leaf)}`);
  for (const child of kids) if (child.type === 'final') lines.push(`${indent}  ${mid(child)} --> [*]`);
  lines.push(`${indent}}`);
}

/**
 * Header of every exported chart: the frontmatter selects the dagre layout whatever the renderer's
 * default is (ELK drops edges it cannot route between nested clusters).
 */
export const MERMAID_HEADER = ['---', 'config:', '  layout: dagre', '---', 'stateDiagram-v2'];

/** Mermaid stateDiagram-v2 of a machine (GitHub renders it in ```mermaid blocks). */
export function toMermaid(machine: AnyStateMachine): string {
  const root = rootOf(machine);
  const lines = [...MERMAID_HEADER];
  mermaidNode(root, '  ', lines);
  for (const e of drawnEdges(machine)) lines.push(`  ${e.from} --> ${e.to} : ${e.labels.join('<br>')}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------
// SCXML (W3C State Chart XML)

function xmlAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function scxmlNode(node: Node, indent: string, lines: string[]): void {
  const tag = node.type === 'parallel' ? 'parallel' : node.type === 'final' ? 'final' : 'state';
  const initial = node.type === 'compound' ? node.initial?.target.map((t) => t.id).join(' ') : undefined;
  const attrs = `id="${xmlAttr(node.id)}"${initial === undefined ? '' : ` initial="${xmlAttr(initial)}"`}`;
  const inner: string[] = [];
  for (const e of edgesOf(node)) {
    const [event, cond] = splitLabel(e.label);
    const ev = event === 'always' ? '' : ` event="${xmlAttr(event)}"`;
    const c = cond === null ? '' : ` cond="${xmlAttr(cond)}"`;
    const target = e.to === null ? ' type="internal"' : ` target="${xmlAttr(e.to.id)}"`;
    inner.push(`${indent}  <transition${ev}${c}${target}/>`);
  }
  const kids = children(node);
  if (inner.length === 0 && kids.length === 0) {
    lines.push(`${indent}<${tag} ${attrs}/>`);
    return;
  }
  lines.push(`${indent}<${tag} ${attrs}>`, ...inner);
  for (const child of kids) scxmlNode(child, `${indent}  `, lines);
  lines.push(`${indent}</${tag}>`);
}

function splitLabel(label: string): [string, string | null] {
  const m = /^(.*) \[(.*)\]$/.exec(label);
  return m === null ? [label, null] : [m[1]!, m[2]!];
}

/** SCXML document of a machine; guards become `cond` names, targetless transitions `type="internal"`. */
export function toScxml(machine: AnyStateMachine): string {
  const root = rootOf(machine);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" name="${xmlAttr(root.id)}" initial="${xmlAttr(root.id)}">`,
  ];
  scxmlNode(root, '  ', lines);
  lines.push('</scxml>');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Stately JSON: the machine config with functions replaced by their names (what the Stately
// inspector receives as `definition`; Studio also accepts it as the object literal of createMachine).

export function toStatelyJson(machine: AnyStateMachine): string {
  return `${JSON.stringify(
    machine.config,
    (_key, value: unknown) => (typeof value === 'function' ? { type: value.name || 'function' } : value),
    2,
  )}\n`;
}

export function exportChart(machine: AnyStateMachine, format: ChartFormat): string {
  if (format === 'mermaid') return toMermaid(machine);
  if (format === 'scxml') return toScxml(machine);
  return toStatelyJson(machine);
}
