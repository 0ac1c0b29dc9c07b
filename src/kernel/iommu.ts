// An IOMMU's IOVA space (not part of TTM: the DMA API under ttm_pool_map and driver binds). One IOVA
// space may be shared by several devices. Mapping a run of page frames takes a contiguous IOVA range;
// exhaustion and fragmentation make a map fail with -EFAULT, which is how dma_map_page failure surfaces
// in ttm_pool_map. Map failures can also be injected: by the `failNextMaps` knob, or by the caller when
// the run's fault plan fails this evaluation of the 'iommu.map' site.

import { EFAULT } from './errno.ts';
import { RangeAllocator, type RangeNode } from './range_allocator.ts';

/** The lowest IOVA page the allocator hands out (iommu_dma_init_domain's base_pfn). */
export const FIRST_IOVA_PAGE = 1;

export interface IommuMapping {
  readonly iova: number;
  readonly device: string;
  readonly pfns: readonly number[];
}

export class Iommu {
  private readonly mm: RangeAllocator;
  private readonly mappings = new Map<number, { node: RangeNode; mapping: IommuMapping }>();
  /** Fault injection: this many more map calls fail with -EFAULT. */
  failNextMaps = 0;
  /** Map calls that failed (exhaustion, fragmentation or injection). */
  mapFailures = 0;
  /** Told about every map, unmap and failed map with the IOVA pages in use (the IOMMU's statechart). */
  observer: ((op: 'map' | 'unmap' | 'fault', usedPages: number) => void) | null = null;

  /**
   * `sizePages` IOVA pages can be handed out: [1, sizePages]. IOVA page 0 is never given, as the IOVA
   * domain of the DMA API starts at pfn 1 (drivers/iommu/dma-iommu.c, iommu_dma_init_domain:
   * "base_pfn = max_t(unsigned long, 1, base >> order);"), so a DMA address of 0 is never a mapping.
   */
  constructor(
    readonly id: string,
    readonly sizePages: number,
  ) {
    this.mm = new RangeAllocator(sizePages + FIRST_IOVA_PAGE);
  }

  get usedPages(): number {
    return this.mm.usedPages;
  }

  get mappingCount(): number {
    return this.mappings.size;
  }

  /**
   * dma_map_page of a run of frames for `device`: the IOVA (in pages) or -EFAULT. `injected`: the run's
   * fault plan fails this map (the caller evaluated the 'iommu.map' site), as the IOVA allocator would.
   */
  map(device: string, pfns: readonly number[], injected = false): number {
    if (injected || this.failNextMaps > 0) {
      if (!injected) this.failNextMaps -= 1;
      this.mapFailures += 1;
      this.observer?.('fault', this.usedPages);
      return -EFAULT;
    }
    const node = this.mm.insert(pfns.length, 1, FIRST_IOVA_PAGE, 0, 'best');
    if (typeof node === 'number') {
      this.mapFailures += 1;
      this.observer?.('fault', this.usedPages);
      return -EFAULT;
    }
    this.mappings.set(node.start, { node, mapping: { iova: node.start, device, pfns: [...pfns] } });
    this.observer?.('map', this.usedPages);
    return node.start;
  }

  /** dma_unmap_page. Unmapping an IOVA that is not mapped is a bug (double unmap). */
  unmap(iova: number): void {
    const m = this.mappings.get(iova);
    if (m === undefined) throw new Error(`${this.id}: unmap of IOVA ${iova}, which is not mapped`);
    this.mappings.delete(iova);
    this.mm.remove(m.node);
    this.observer?.('unmap', this.usedPages);
  }

  /** The frame behind an IOVA page, or undefined when nothing maps it. */
  translate(iovaPage: number): number | undefined {
    for (const { mapping } of this.mappings.values()) {
      const off = iovaPage - mapping.iova;
      if (off >= 0 && off < mapping.pfns.length) return mapping.pfns[off];
    }
    return undefined;
  }

  mappingsOf(device: string): IommuMapping[] {
    return [...this.mappings.values()].map((m) => m.mapping).filter((m) => m.device === device);
  }
}
