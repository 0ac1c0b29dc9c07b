// Every exported Mermaid chart renders in a real headless Chromium (mermaid's browser bundle inlined,
// zero network requests) and shows exactly its machine: one state node per state of the definition,
// and as many edges as the definition has, counted here from the machine itself, leaf by leaf
// (XState's selection: an active leaf takes the transitions of its own and of its ancestors on an
// event, the innermost unguarded handler shadowing those above it; entering a composite state enters
// its initial leaves), plus the initial and final pseudo-state edges; each edge's label is checked too.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { CHARTS, toMermaid } from '../../src/viz/charts.ts';
import { browserMissing, launchBrowser } from './browser.ts';

const require = createRequire(import.meta.url);
const MERMAID_JS = readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8');

/** The parts of XState's StateNode read here. */
interface SNode {
  readonly id: string;
  readonly type: string;
  readonly states: Record<string, SNode>;
  readonly parent?: SNode;
  readonly initial?: { readonly target: readonly SNode[] };
  readonly transitions: Map<
    string,
    readonly { target?: readonly SNode[]; guard?: unknown; eventType: string }[]
  >;
  readonly always?: readonly { target?: readonly SNode[]; guard?: unknown }[];
}

const idOf = (n: SNode): string => n.id.replace(/[^A-Za-z0-9_]/g, '_');
const kids = (n: SNode): SNode[] => Object.values(n.states);
const allStates = (n: SNode): SNode[] => [n, ...kids(n).flatMap(allStates)];

function entered(n: SNode): SNode[] {
  const k = kids(n);
  if (k.length === 0) return [n];
  if (n.type === 'parallel') return k.flatMap(entered);
  return (n.initial?.target ?? [k[0]!]).flatMap(entered);
}

/** What the chart of `machine` must show: state ids, edge count (pseudo-states included), label per edge. */
function expected(machine: AnyStateMachine): { states: string[]; edges: number; labels: string[] } {
  const root = machine.root as unknown as SNode;
  const states = allStates(root);
  const pairs = new Map<string, string[]>();
  for (const leaf of states.filter((s) => kids(s).length === 0)) {
    const chain: SNode[] = [];
    for (let n: SNode | undefined = leaf; n !== undefined; n = n.parent) chain.push(n);
    const shadowed = new Set<string>();
    for (const n of chain) {
      const byEvent: [string, readonly { target?: readonly SNode[]; guard?: unknown }[]][] = [
        ...n.transitions.entries(),
        ['always', n.always ?? []],
      ];
      for (const [event, ts] of byEvent) {
        if (shadowed.has(event)) continue;
        for (const t of ts) {
          const targets =
            t.target === undefined || t.target.length === 0 ? [leaf] : t.target.flatMap(entered);
          for (const to of targets) {
            const key = `${idOf(leaf)} ${idOf(to)}`;
            pairs.set(key, [...(pairs.get(key) ?? []), event]);
          }
        }
      }
      for (const [event, ts] of byEvent) if (ts.some((t) => t.guard === undefined)) shadowed.add(event);
    }
  }
  const initials = states
    .filter((s) => s.type === 'compound' && s.initial !== undefined)
    .reduce((n, s) => n + s.initial!.target.flatMap(entered).length, 0);
  const finals = states.filter((s) => s.type === 'final').length;
  return {
    states: states.map(idOf).sort(),
    edges: pairs.size + initials + finals,
    labels: [...pairs.values()].map((events) => events.join(' ')),
  };
}

describe.skipIf(browserMissing !== null)('Mermaid charts in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  test("every chart renders with one node per state and its machine's edge count and labels, with no network request", async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setContent(
      `<!doctype html><html><body><div id="out"></div><script>${MERMAID_JS.replace(/<\/script/g, '<\\/script')}</script></body></html>`,
    );
    for (const { name, machine } of CHARTS) {
      const r = await page.evaluate(
        async ([id, text]) => {
          const g = globalThis as unknown as {
            mermaid: { initialize(o: object): void; render(id: string, t: string): Promise<{ svg: string }> };
            document: {
              getElementById(id: string): {
                innerHTML: string;
                querySelectorAll(s: string): ArrayLike<{ id: string; innerHTML: string }>;
              };
            };
          };
          g.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
          try {
            const { svg } = await g.mermaid.render(id, text);
            const out = g.document.getElementById('out');
            out.innerHTML = svg;
            const states = Array.from(out.querySelectorAll('g.statediagram-state[id]'), (e) => e.id);
            const edges = out.querySelectorAll('path.transition').length;
            // One line per transition (<br> between them), tags stripped.
            const labels = Array.from(out.querySelectorAll('g.edgeLabel'), (e) =>
              e.innerHTML
                .replace(/<br\s*\/?>/g, '\n')
                .replace(/<[^>]*>/g, '')
                .replace(/&amp;/g, '&'),
            );
            return { error: null, states, edges, labels };
          } catch (err) {
            return { error: String(err), states: [], edges: 0, labels: [] };
          }
        },
        [`chart_${name}`, toMermaid(machine)] as const,
      );
      expect(r.error, name).toBeNull();
      const want = expected(machine);
      // Parallel regions are drawn as divider clusters, which are not states of the machine.
      // (Mermaid names them divider-id-N and id-RANDOM-N; every state id of a chart starts with its root's.)
      const shown = r.states
        .flatMap((id) => /-state-(.+)-\d+$/.exec(id)?.[1] ?? [])
        .filter((id) => id === name || id.startsWith(`${name}_`))
        .sort();
      expect(shown, name).toEqual(want.states);
      expect(r.edges, name).toBe(want.edges);
      // Each edge's label lists its transitions' events, one line each (guards and "(internal)" dropped).
      const texts = r.labels.filter((t) => t.trim() !== '');
      expect(texts.length, name).toBe(want.labels.length);
      const events = (lines: string[]) =>
        lines
          .map((l) => l.replace(/ \[[^\]]*\]| \(internal\)/g, '').trim())
          .sort()
          .join(' ');
      expect(texts.map((t) => events(t.split('\n'))).sort(), name).toEqual(
        want.labels.map((l) => events(l.split(' '))).sort(),
      );
    }
    expect(requests).toEqual([]);
    await page.close();
  }, 120_000);
});
