// Mutations of the stress programs (src/stress/programs.ts): bugs that real threads racing on the
// shared hardware state can hit, and that `ttm-sim stress` then replays in the deterministic mode. None
// matches a fix listed in the kernel bug table the model follows, so all are synthetic; each names the
// race point of the kernel it breaks.

import {
  MUTATION_PTE_CHECK_THEN_STORE,
  MUTATION_RESTORE_NO_RESUME,
  MUTATION_WAIT_NO_CLEANUP,
  MUTATION_WW_NO_BACKOFF,
} from '../stress/programs.ts';
import type { MutationInfo } from './mutations.ts';

export const STRESS_MUTATIONS: readonly MutationInfo[] = [
  {
    name: MUTATION_PTE_CHECK_THEN_STORE,
    kind: 'synthetic',
    title:
      'fault vs fault: the PTE is installed by load + store on the strength of the pte_none seen before the handler took the resv, instead of a compareExchange that leaves a present PTE alone (vmf_insert_pfn_prot)',
    commit: '',
    year: 2026,
    change: 'the loser of a PTE install race installs the PTE a second time',
    scenario: 'stress-pte',
    detectedBy: 'pte.install-once',
  },
  {
    name: MUTATION_RESTORE_NO_RESUME,
    kind: 'synthetic',
    title:
      'restore interrupted by a signal: the error path frees the pages this attempt restored although their backup copies are already dropped, instead of keeping tt->restore so the next fault resumes',
    commit: '',
    year: 2026,
    change: 'an interrupted restore (-EINTR) loses the pages it had restored',
    scenario: 'stress-signal',
    detectedBy: 'content.lost',
  },
  {
    name: MUTATION_WAIT_NO_CLEANUP,
    kind: 'synthetic',
    title: 'interruptible fence wait under the resv: the -ERESTARTSYS path returns without dma_resv_unlock',
    commit: '',
    year: 2026,
    change: 'a fence wait a signal interrupts keeps the BO reserved',
    scenario: 'stress-signal',
    detectedBy: 'resv.held-at-exit',
  },
  {
    name: MUTATION_WW_NO_BACKOFF,
    kind: 'synthetic',
    title:
      'ww_mutex Wait-Die: a younger ticket that holds locks and meets an older holder sleeps instead of backing off with -EDEADLK',
    commit: '',
    year: 2026,
    change: 'binds ignore -EDEADLK and wait for the contended lock while holding the others',
    scenario: 'stress-bind',
    detectedBy: 'ww.wait-die',
  },
];
