// Calibrator mutations: synthetic bugs with a known probability per strategy.

import type { MutationInfo } from './mutations.ts';

export const CALIBRATOR_MUTATIONS: readonly MutationInfo[] = [];
