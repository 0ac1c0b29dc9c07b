// Design `dmem`: dmem cgroups on a workload that otherwise runs without them. Unlike the other designs
// this is no seed proposal but upstream since 6.14 (kernel/cgroup/dmem.c, "drm/ttm: Handle cgroup based
// eviction in TTM" 2b624a2c1865, with the 2026 "drm/ttm: Convert -EAGAIN from dmem_cgroup_try_charge to
// -ENOSPC"): drivers register a VRAM region and every allocation is charged to the allocating task's
// cgroup. Today's default configuration has no cgroup limit set, which the baseline `kernel` row stands
// for; the design sets the limits and protections of a scenario built for it (src/sim/scenarios/dmem.ts,
// `cgroups: 'design'`): `protect=low` (the default) gives the foreground cgroup its dmem.low and
// dmem.min besides the background's dmem.max, `protect=none` keeps only the max. The mechanics are the
// kernel model's (src/kernel/dmem_cgroup.ts); this file only names the parameter.

/** The `protect` values: the foreground's dmem.low and dmem.min set, or only the background's max. */
export const PROTECT_VALUES: readonly string[] = ['low', 'none'];
