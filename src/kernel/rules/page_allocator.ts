// Rules about the memory TTM takes from and gives back to the page allocator, and the limits it puts on
// it: pages go back to the system with the linear map's default write-back caching (ttm_pool.c
// ttm_pool_free_page and ttm_pool_backup, because arch/x86's set_memory_* API does not restore it on
// free), ttm_global_init's default limits (ttm_device.c, half of RAM; DMA32 capped at 2 GiB), and the
// pool shrinker's scan frees what the shrinker core asked for unless the pools run dry
// (ttm_pool_shrinker_scan). Checked where src/kernel/ram.ts mirrors __free_pages, src/kernel/device.ts
// ttm_global_init and src/kernel/pool_type.ts ttm_pool_shrinker_scan.

import type { TtmGlobal } from '../device.ts';
import type { TtmPoolManager } from '../pool_type.ts';
import type { PageCaching } from '../ram.ts';
import { type KernelRule, kernelRule, warnOn } from './check.ts';

const POOL = 'drivers/gpu/drm/ttm/ttm_pool.c';

export const PAGE_FREE_WB = kernelRule(
  'page.free.wb',
  'return',
  'every page frame given back to the page allocator has write-back caching in the linear map (whoever set it WC or UC set it back first)',
  [
    { file: POOL, func: 'ttm_pool_free_page', text: 'set_pages_wb(p, 1 << order);' },
    {
      file: POOL,
      func: 'ttm_pool_backup',
      text: '/* Anything returned to the system needs to be cached. */',
    },
    {
      file: 'arch/x86/include/asm/set_memory.h',
      func: 'set_memory_*',
      text: ' * What this API does not do: ... - Restore default attributes when a page is freed',
    },
  ],
);

export const GLOBAL_INIT_LIMITS = kernelRule(
  'global.init.limits',
  'return',
  'ttm_global_init sets page_pool_size and ttm_pages_limit to half of RAM, and ttm_dma32_pages_limit to RAM capped at 2 GiB',
  [
    { file: 'drivers/gpu/drm/ttm/ttm_device.c', func: 'ttm_global_init', text: 'num_pages /= 2;' },
    {
      file: 'drivers/gpu/drm/ttm/ttm_device.c',
      func: 'ttm_global_init',
      text: 'num_dma32 = min(num_dma32, 2UL << (30 - PAGE_SHIFT));',
    },
    { file: POOL, func: 'ttm_pool_mgr_init', text: 'page_pool_size = num_pages;' },
    { file: 'drivers/gpu/drm/ttm/ttm_tt.c', func: 'ttm_tt_mgr_init', text: 'ttm_pages_limit = num_pages;' },
  ],
);

export const POOL_SHRINKER_SCAN_TARGET = kernelRule(
  'pool.shrinker-scan.target',
  'return',
  'ttm_pool_shrinker_scan returns having freed at least nr_to_scan pages, or with no page left in any pool type',
  [
    {
      file: POOL,
      func: 'ttm_pool_shrinker_scan',
      text: 'while (num_freed < sc->nr_to_scan && atomic_long_read(&allocated_pages));',
    },
  ],
);

/** 2 GiB in 4 KiB pages: `2UL << (30 - PAGE_SHIFT)`. */
const DMA32_CAP_PAGES = 2 << (30 - 12);

/** page.free.wb where __free_pages takes back the block of `size` frames at `first` of `ram`. */
export function checkFreeWb(
  g: TtmGlobal | null,
  first: number,
  size: number,
  ram: { getCaching(pfn: number): PageCaching },
): void {
  let bad = -1;
  for (let i = 0; i < size && bad < 0; i += 1) if (ram.getCaching(first + i) !== 'wb') bad = first + i;
  warnOn(
    g,
    PAGE_FREE_WB,
    bad >= 0,
    'ram',
    bad >= 0 ? `frame ${bad} of the ${size}-frame block at ${first} is ${ram.getCaching(bad)}` : '',
  );
}

/** global.init.limits once ttm_global_init set up `g` over `totalPages` frames of RAM. */
export function postGlobalInit(g: TtmGlobal, totalPages: number): void {
  const half = Math.floor(totalPages / 2);
  const dma32 = Math.min(totalPages, DMA32_CAP_PAGES);
  const got = [g.poolMgr.pagePoolSize, g.ttmPagesLimit, g.ttmDma32PagesLimit];
  const broken = got[0] !== half || got[1] !== half || got[2] !== dma32;
  warnOn(
    g,
    GLOBAL_INIT_LIMITS,
    broken,
    'global',
    broken
      ? `${totalPages} pages of RAM: page_pool_size ${got[0]}, ttm_pages_limit ${got[1]}, ttm_dma32_pages_limit ${got[2]} (want ${half}, ${half}, ${dma32})`
      : '',
  );
}

/** pool.shrinker-scan.target when ttm_pool_shrinker_scan returns having freed `freed` of `nrToScan`. */
export function postPoolShrinkerScan(mgr: TtmPoolManager, nrToScan: number, freed: number): void {
  const broken = freed < nrToScan && mgr.allocatedPages > 0;
  warnOn(
    mgr.world,
    POOL_SHRINKER_SCAN_TARGET,
    broken,
    'pool',
    broken ? `freed ${freed} of ${nrToScan} pages with ${mgr.allocatedPages} still pooled` : '',
  );
}

/** The rules of this module. */
export const PAGE_ALLOCATOR_RULES: readonly KernelRule[] = [
  PAGE_FREE_WB,
  GLOBAL_INIT_LIMITS,
  POOL_SHRINKER_SCAN_TARGET,
];
