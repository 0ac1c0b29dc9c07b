// Historical-bug mutations in moves, ghosts, the page pool, backup/restore and the CPU fault path.

import { MUTATION_RESTORE_STALE_STATE } from '../kernel/pool.ts';
import type { MutationInfo } from './mutations.ts';

export const MOVE_MUTATIONS: readonly MutationInfo[] = [
  {
    name: MUTATION_RESTORE_STALE_STATE,
    kind: 'historical',
    title: 'drm/ttm: Drop tt->restore after successful restore',
    commit: 'b63d715b8090',
    year: 2026,
    change: 'a resumed restore that completes returns 0 but keeps tt->restore set',
    scenario: 'memory-pressure',
    detectedBy: 'oracle.backup.handles',
  },
];
