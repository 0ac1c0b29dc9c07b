// The design registry: the seed threads' proposals as options of the same world, off by default (off
// is today's kernel, the baseline `kernel`). A design is switched on by a spec, `NAME` or
// `NAME:KEY=VALUE`, with `--design` on run and fuzz, in `compare --designs`, and travels in tokens.
// One file per design says what the seed proposed, what the kernel did instead, and how the model
// does it; this file lists them, parses specs and says which scenarios a design applies to.

import { DEFAULT_PLATFORM, PLATFORMS } from './alloc_backend.ts';
import { COHERENT_VALUES } from './caching.ts';
import { DMA_TYPES } from './dma_bind.ts';
import { PROTECT_VALUES } from './dmem.ts';
import { EVICT_SCOPES } from './shared_iommu.ts';
import {
  BASELINE,
  DESIGN_ALLOC_OPS,
  DESIGN_CACHING,
  DESIGN_DMEM,
  DESIGN_SHARED_IOMMU,
  DESIGN_TWO_STEP,
} from './spec.ts';
import { DEFAULT_DMA_TYPE } from './two_step.ts';

export { BASELINE } from './spec.ts';

export interface DesignParam {
  readonly key: string;
  readonly values: readonly string[];
  readonly default: string;
  readonly meaning: string;
}

export interface DesignInfo {
  readonly name: string;
  readonly title: string;
  /** The seed thread (file under seeds/, author, date). */
  readonly seed: string;
  /** What the seed proposed, in one line. */
  readonly proposed: string;
  /** What the kernel did instead, in one line. */
  readonly landed: string;
  readonly param?: DesignParam;
  /** Oracles only active under this design. */
  readonly oracles: readonly string[];
  /** What the design needs of a scenario, or null when it applies to any scenario with TTM devices. */
  readonly needs: 'iommu' | 'dmem' | null;
}

export const DESIGNS: readonly DesignInfo[] = [
  {
    name: DESIGN_ALLOC_OPS,
    title: 'pluggable page-allocation backend {probe, alloc, free}',
    seed: '000 (Konrad Rzeszutek Wilk, 2011-03-31)',
    proposed:
      'an ops table with a DMA-coherent and a generic backend, the first whose probe accepts the platform chosen per device',
    landed:
      'one ttm_pool with a use_dma_alloc mode bit set by the driver from drm_need_swiotlb(); coherent pages have a fixed DMA address, are pooled per device for all cachings, and ttm_pool_backup refuses them (-EBUSY)',
    param: {
      key: 'platform',
      values: PLATFORMS,
      default: DEFAULT_PLATFORM,
      meaning: 'what the probe sees: bare-metal → generic; xen-pv, encrypted, dma-mask → dma-coherent',
    },
    oracles: [],
    needs: null,
  },
  {
    name: DESIGN_TWO_STEP,
    title: 'two-step placement (DMA type × memory type)',
    seed: '001 (Thomas Hellström, 2012-01-09)',
    proposed:
      'bind to a DMA type (NONE/DYNAMIC/COHERENT/CMA) before the GPU; a DMA OOM evicts BOs of the same DMA type; DYNAMIC forbids CPU access; evict-from-DMA ⇒ evict-from-GPU',
    landed:
      'no DMA-type axis: DMA mapping at populate (ttm_pool_map) or at the move into TT (xe), -EFAULT on failure, no dma_sync calls',
    param: {
      key: 'type',
      values: DMA_TYPES,
      default: DEFAULT_DMA_TYPE,
      meaning: 'the DMA type every tt-backed BO binds to',
    },
    oracles: ['design.dynamic-cpu-access', 'design.gpu-without-dma'],
    needs: null,
  },
  {
    name: DESIGN_SHARED_IOMMU,
    title: 'IOVA eviction on an IOMMU shared between devices',
    seed: "001 (Daniel Vetter's reply, 2012-01)",
    proposed:
      'devices behind one IOVA space bind tts to it at the move into TT and answer IOVA exhaustion with LRU eviction, each device its own (evict=own) or over every device (evict=any)',
    landed: 'TTM has no IOVA model: dma_map_page fails with -EFAULT and the populate or validate fails',
    param: {
      key: 'evict',
      values: EVICT_SCOPES,
      default: 'own',
      meaning: 'own: each device evicts only its BOs; any: one LRU over the IOVA space',
    },
    oracles: ['design.dynamic-cpu-access', 'design.gpu-without-dma'],
    needs: 'iommu',
  },
  {
    name: DESIGN_CACHING,
    title: 'placement-dependent caching and the dma_streaming_is_coherent probe',
    seed: '003 (Thomas Hellström, 2019-01-16), 004 (Thomas Hellström, 2006-10-09)',
    proposed:
      'tt caching follows placement (WC in TT, WB in SYSTEM), each change a TLB shootdown that pools avoid; the driver loads only where dma_streaming_is_coherent()',
    landed:
      'caching fixed at tt creation, changing a populated tt refused since 2020; the coherence probe never landed',
    param: {
      key: 'coherent',
      values: COHERENT_VALUES,
      default: 'yes',
      meaning: "the probe's answer: no makes the driver refuse to load (-ENODEV)",
    },
    oracles: [],
    needs: null,
  },
  {
    name: DESIGN_DMEM,
    title: 'dmem cgroups with limits and protections (upstream since 6.14)',
    seed: 'none: kernel/cgroup/dmem.c and "drm/ttm: Handle cgroup based eviction in TTM" (2b624a2c1865)',
    proposed:
      'charge VRAM to the allocating task’s cgroup; a charge over dmem.max evicts within that cgroup’s subtree; dmem.low and dmem.min shield a cgroup’s use from eviction',
    landed:
      'merged in 6.14; -EAGAIN of the charge converted to -ENOSPC in 2026; no limit is set by default, which the baseline stands for',
    param: {
      key: 'protect',
      values: PROTECT_VALUES,
      default: 'low',
      meaning:
        "low: the foreground cgroup's dmem.low and dmem.min with the background's dmem.max; none: only the max",
    },
    oracles: [],
    needs: 'dmem',
  },
];

export function findDesign(name: string): DesignInfo | undefined {
  return DESIGNS.find((d) => d.name === name);
}

export type ParsedDesign =
  | { readonly ok: true; readonly name: string; readonly value: string; readonly spec: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Parse `NAME` or `NAME:KEY=VALUE` against the registry. Never throws: an unknown name, a parameter the
 * design does not take or a value it does not know gives a one-line reason that says what to do.
 * `spec` is the canonical spelling (the parameter's default is left out).
 */
export function parseDesign(text: string): ParsedDesign {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const info = findDesign(name);
  if (info === undefined) {
    const names = DESIGNS.map((d) => d.name).join(', ');
    return { ok: false, reason: `unknown design '${name}'; the designs are ${names} ('ttm-sim designs')` };
  }
  if (colon < 0) return { ok: true, name, value: info.param?.default ?? '', spec: name };
  const param = info.param;
  const [key, value, ...rest] = text.slice(colon + 1).split('=');
  if (param === undefined)
    return { ok: false, reason: `design '${name}' takes no parameter; pass just '${name}'` };
  if (key !== param.key || value === undefined || rest.length > 0) {
    return { ok: false, reason: `design '${name}' takes '${name}:${param.key}=VALUE', got '${text}'` };
  }
  if (!param.values.includes(value)) {
    return {
      ok: false,
      reason: `design '${name}': ${param.key} must be one of ${param.values.join(', ')} (${param.meaning}), got '${value}'`,
    };
  }
  return { ok: true, name, value, spec: value === param.default ? name : `${name}:${param.key}=${value}` };
}

/**
 * Check a set of specs: canonical, sorted and distinct, or a reason. Two specs of one design, or
 * two-step together with shared-iommu (both bind DMA), conflict.
 */
export function parseDesigns(
  texts: readonly string[],
): { readonly ok: true; readonly specs: string[] } | { readonly ok: false; readonly reason: string } {
  const byName = new Map<string, string>();
  for (const t of texts) {
    const p = parseDesign(t);
    if (!p.ok) return p;
    const had = byName.get(p.name);
    if (had !== undefined && had !== p.spec) {
      return { ok: false, reason: `design '${p.name}' given twice ('${had}', '${p.spec}'); keep one` };
    }
    byName.set(p.name, p.spec);
  }
  if (byName.has(DESIGN_TWO_STEP) && byName.has(DESIGN_SHARED_IOMMU)) {
    return {
      ok: false,
      reason: `designs '${DESIGN_TWO_STEP}' and '${DESIGN_SHARED_IOMMU}' both bind DMA; switch on one of them`,
    };
  }
  return { ok: true, specs: [...byName.values()].sort() };
}

/** Does a scenario's config put a device behind an IOMMU? */
function hasIommu(config: Record<string, unknown>): boolean {
  if (typeof config.iovaPages === 'number') return true;
  const devices = config.devices;
  return (
    Array.isArray(devices) &&
    devices.some((d) => typeof (d as { iommuPages?: unknown }).iommuPages === 'number')
  );
}

/** What `notApplicable` reads of a scenario (src/sim/scenario.ts): its name and configuration. */
export interface ScenarioShape {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** Why design `spec` cannot run on `scenario`, or null when it can. */
export function notApplicable(spec: string, scenario: ScenarioShape): string | null {
  const p = parseDesign(spec);
  if (!p.ok) return p.reason;
  if (scenario.config.scenario === 'calibrate') {
    return `design '${p.name}' does not apply to scenario '${scenario.name}': it builds no TTM device`;
  }
  const info = findDesign(p.name)!;
  if (info.needs === 'dmem' && scenario.config.cgroups !== 'design') {
    return `design '${p.name}' does not apply to scenario '${scenario.name}': it sets the cgroups of a workload built for it (try --scenario dmem-compare)`;
  }
  if (info.needs === 'iommu' && !hasIommu(scenario.config)) {
    return `design '${p.name}' does not apply to scenario '${scenario.name}': no device there is behind an IOMMU (try --scenario shared-iommu)`;
  }
  return null;
}

/** The specs a `compare --designs` entry switches on: none for the baseline. */
export function specsOf(entry: string): string[] {
  return entry === BASELINE ? [] : entry.split('+');
}
