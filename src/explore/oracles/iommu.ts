// DMA mapping invariants (ttm_pool.c ttm_pool_map / ttm_pool_unmap / ttm_pool_free_page, and the DMA API
// under them): no IOMMU mapping outlives the page it maps, and a populated tt's dma_address[] holds the
// bus address of each of its pages.

import type { Device, TtmGlobal } from '../../kernel/device.ts';
import type { Iommu } from '../../kernel/iommu.ts';
import { fail, type Violation } from './types.ts';
import { devicesOf, frameAllocated, liveTts } from './world.ts';

/**
 * iommu.mappings: every frame an IOMMU maps for a device of the world is allocated in RAM (pages are
 * unmapped before they are freed); and, with no design rebinding tts (src/designs), every populated tt
 * with a dma_address array whose BO's resv is unlocked has, for each page, the DMA address
 * ttm_pool_map gave it: the frame itself on a device without an IOMMU, else an IOVA the device's IOMMU
 * translates to that frame. Returns the first breach, or null.
 */
export function checkIommuMappings(g: TtmGlobal): Violation | null {
  const id = 'iommu.mappings';
  const devices = devicesOf(g);
  let iovas: Map<Iommu, Map<number, number>> | null = null;
  for (const d of devices) {
    const iommu = d.iommu;
    if (iommu === null || iommu.mappingCount === 0) continue;
    const pages = new Map<number, number>();
    for (const m of iommu.mappingsOf(d.id)) {
      for (let i = 0; i < m.pfns.length; i += 1) {
        const pfn = m.pfns[i]!;
        if (!frameAllocated(g.ram, pfn)) {
          return fail(
            id,
            iommu.id,
            `${iommu.id} maps IOVA ${m.iova + i} for ${d.id} to frame ${pfn}, which RAM holds as free`,
          );
        }
        pages.set(m.iova + i, pfn);
      }
    }
    iovas ??= new Map();
    const known = iovas.get(iommu);
    if (known === undefined) iovas.set(iommu, pages);
    else for (const [k, v] of pages) known.set(k, v);
  }
  if (g.designs.size > 0) return null;
  for (const { tt, bo } of liveTts(g)) {
    const dma = tt.dmaAddress;
    const pages = tt.pages;
    if (dma === null || pages === null || !tt.isPopulated() || bo.resv.isLocked()) continue;
    const v = checkDmaAddresses(id, bo.bdev, iovas, tt.id, bo.id, dma, pages);
    if (v !== null) return v;
  }
  return null;
}

function checkDmaAddresses(
  id: string,
  d: Device,
  iovas: Map<Iommu, Map<number, number>> | null,
  ttId: string,
  boId: string,
  dma: readonly (number | null)[],
  pages: readonly unknown[],
): Violation | null {
  const map = d.iommu === null ? null : (iovas?.get(d.iommu) ?? new Map<number, number>());
  for (let i = 0; i < pages.length; i += 1) {
    const p = pages[i];
    if (typeof p !== 'number') continue;
    const a = dma[i] ?? null;
    const target = a === null ? undefined : map === null ? a : map.get(a);
    if (target !== p) {
      const via = map === null ? 'no IOMMU' : `${d.iommu!.id}`;
      const got =
        a === null
          ? 'no DMA address'
          : `DMA address ${a} (${target === undefined ? 'unmapped' : `frame ${target}`})`;
      return fail(id, boId, `${ttId} slot ${i} holds frame ${p} but ${got}, via ${via}`);
    }
  }
  return null;
}
