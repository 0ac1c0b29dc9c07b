// Historical-bug mutations in swapout, the LRU and bulk moves, and the shrinkers.

import type { MutationInfo } from './mutations.ts';

export const SWAP_MUTATIONS: readonly MutationInfo[] = [];
