// Calibrator mutations: synthetic bugs with a known probability per strategy (scenario `calibrate`,
// src/sim/scenarios/calibrate.ts). They measure the search, not the kernel model.

import { LOST_UPDATE, STARVATION, STARVATION_STEPS_DEFAULT } from '../sim/scenarios/calibrate.ts';
import type { MutationInfo } from './mutations.ts';

export const CALIBRATOR_MUTATIONS: readonly MutationInfo[] = [
  {
    name: STARVATION,
    kind: 'calibrator',
    title:
      'starvation (PCT fig. 5): a task runs L steps before a one-step task runs at all; p = 2^-L under random',
    commit: '',
    year: 2026,
    change: 'the order "task:starve-long runs all L steps before task:starve-brief" becomes a failure',
    scenario: 'calibrate',
    detectedBy: 'calibrator.starvation',
    param: {
      meaning: 'steps the long task must run before the brief one',
      default: STARVATION_STEPS_DEFAULT,
      min: 1,
      max: 30,
    },
  },
  {
    name: LOST_UPDATE,
    kind: 'calibrator',
    title: 'lost update: 3 workers read a counter, reach a scheduling point and write it + 1 (depth 2)',
    commit: '',
    year: 2026,
    change: 'the read-modify-write of the shared counter is no longer under its mutex',
    scenario: 'calibrate',
    detectedBy: 'calibrator.lost-update',
  },
];
