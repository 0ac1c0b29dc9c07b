// small: the shape the throughput target is stated for (1 device, 3 BOs, about 75 deliveries per
// schedule with its whole life: suspend, hibernation, resume, teardown), composed from the declarative
// race config: two GPU execs sharing one BO (ww tickets, validate, fence, unreserve) and the user's last
// put of another, so every schedule races two ww tickets on `b` and a put against a fenced BO. It exists
// for bench/throughput.ts and quick campaigns; it checks the same end-of-run invariants as `race`
// (src/sim/end_checks.ts: no BO, byte of VRAM/TT, frame or lock left).

import type { Scenario } from '../scenario.ts';
import { type RaceConfig, race } from './race.ts';

export const SMALL_CONFIG: RaceConfig = {
  devices: [
    {
      name: 'gpu0',
      style: 'amdgpu',
      vramKiB: 64,
      ttKiB: 64,
      ramPages: 256,
      swapPages: 256,
      caching: 'cached',
    },
  ],
  bos: [
    { name: 'a', device: 'gpu0', kib: 16, placement: 'vram', pinned: false },
    { name: 'b', device: 'gpu0', kib: 16, placement: 'vram-or-tt', pinned: false },
    { name: 'c', device: 'gpu0', kib: 8, placement: 'tt', pinned: false },
  ],
  tasks: [
    { kind: 'exec', name: 'x', bos: ['a', 'b'], repeat: 3, holdMs: 0, delayMs: 0 },
    { kind: 'exec', name: 'y', bos: ['b', 'c'], repeat: 3, holdMs: 0, delayMs: 0 },
    { kind: 'put', name: 'closer', bo: 'c', delayMs: 0 },
  ],
};

export function small(): Scenario {
  return race(SMALL_CONFIG, 'small');
}
