// ticket-contention: ticketed evictions that must sleep on their victims' locks. Three submitters each
// hold one 16 KiB VRAM BO reserved across a long ioctl (validate, fence, 4 ms, unreserve) and fill the
// 48 KiB of VRAM between them; a fourth submits a 48 KiB BO that prefers VRAM (TT as fallback). Its
// ttm_bo_validate finds VRAM full and its trylock walk finds the victims locked, so ttm_bo_evict_alloc
// walks again with its ww ticket: each walk may sleep on one victim's lock, and it needs all three, so
// the walk is repeated while it evicts something ("If ticket-locking, repeat while making progress").
// Wait-Die decides between the tickets: a younger ticket holding its own BO dies (-EDEADLK, seen by the
// walk as -ENOSPC) where an older one waits. Composed from the declarative race config (race.ts); it
// checks what every race run checks (src/sim/end_checks.ts) and, in the kernel, bo.evict-alloc.ticketed
// and ww.kill.holds-locks on every call.

import type { Scenario } from '../scenario.ts';
import { type RaceConfig, race } from './race.ts';

export const TICKET_CONTENTION_CONFIG: RaceConfig = {
  devices: [
    {
      name: 'gpu0',
      style: 'amdgpu',
      vramKiB: 48,
      ttKiB: 128,
      ramPages: 512,
      swapPages: 512,
      caching: 'cached',
    },
  ],
  bos: [
    { name: 'a', device: 'gpu0', kib: 16, placement: 'vram', pinned: false },
    { name: 'b', device: 'gpu0', kib: 16, placement: 'vram', pinned: false },
    { name: 'c', device: 'gpu0', kib: 16, placement: 'vram', pinned: false },
    { name: 'd', device: 'gpu0', kib: 48, placement: 'vram-or-tt', pinned: false },
  ],
  tasks: [
    { kind: 'exec', name: 'h1', bos: ['a'], repeat: 4, holdMs: 4, delayMs: 0 },
    { kind: 'exec', name: 'h2', bos: ['b'], repeat: 4, holdMs: 4, delayMs: 0 },
    { kind: 'exec', name: 'h3', bos: ['c'], repeat: 4, holdMs: 4, delayMs: 0 },
    { kind: 'exec', name: 'big', bos: ['d'], repeat: 6, holdMs: 0, delayMs: 0 },
  ],
};

export function ticketContention(): Scenario {
  return race(TICKET_CONTENTION_CONFIG, 'ticket-contention');
}
