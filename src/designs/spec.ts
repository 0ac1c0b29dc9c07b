// Design specs as runs carry them: `NAME` or `NAME:KEY=VALUE` (at most one parameter per design), in a
// set on the world (TtmGlobal.designs) the way mutation specs are. Kernel hooks ask `designValue` whether
// a design is on and with which parameter value; this file imports nothing so the kernel can use it.

/** The names of the designs (src/designs/index.ts describes each). */
export const DESIGN_ALLOC_OPS = 'alloc-ops';
export const DESIGN_TWO_STEP = 'two-step';
export const DESIGN_SHARED_IOMMU = 'shared-iommu';
export const DESIGN_CACHING = 'caching';
export const DESIGN_DMEM = 'dmem';

/** The baseline's name in `compare --designs`: today's kernel, no design on. */
export const BASELINE = 'kernel';

/**
 * The parameter value of design `name` among a run's specs: undefined when the design is off, the
 * spec's value when it names one, else `fallback` (the parameter's default; '' for a design without one).
 */
export function designValue(specs: ReadonlySet<string>, name: string, fallback = ''): string | undefined {
  for (const s of specs) {
    if (s === name) return fallback;
    if (s.startsWith(`${name}:`)) {
      const eq = s.indexOf('=');
      return eq < 0 ? fallback : s.slice(eq + 1);
    }
  }
  return undefined;
}
