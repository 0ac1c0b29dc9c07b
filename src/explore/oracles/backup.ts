// Backup and swap invariants (ttm_backup.c, ttm_pool.c ttm_pool_backup / ttm_pool_restore_and_alloc,
// ttm_tt.c ttm_tt_swapout): every backup handle of a tt names a written page of its backup file, restore
// state exists only while the tt is backed up, and the swap space holds exactly what live tts account for.

import { TTM_TT_FLAG_SWAPPED } from '../../kernel/constants.ts';
import type { TtmGlobal } from '../../kernel/device.ts';
import { fail, type Violation } from './types.ts';
import { liveTts } from './world.ts';

/**
 * backup.handles: in every live tt, each non-zero backup handle sits in a BACKED_UP tt at slot
 * handle - 1 and names a written page of that tt's (unreleased) backup file; handle-0 markers and restore
 * state exist only on a BACKED_UP tt (a stale restore state makes the next restore read nothing back);
 * a backup file holds exactly the pages its handles name; swap storage exists iff SWAPPED; and the swap
 * slots in use equal the live tts' backup and swap-storage pages, so every handle is dropped exactly
 * once. Returns the first breach, or null.
 */
export function checkBackupHandles(g: TtmGlobal): Violation | null {
  const id = 'backup.handles';
  let accounted = 0;
  for (const { tt, bo } of liveTts(g)) {
    const backedUp = tt.isBackedUp();
    if (tt.restore !== null && !backedUp) {
      return fail(
        id,
        bo.id,
        `${tt.id} keeps restore state but is not backed up: its next restore would read nothing back`,
      );
    }
    const swapped = (tt.pageFlags & TTM_TT_FLAG_SWAPPED) !== 0;
    if ((tt.swapStorage !== null) !== swapped) {
      return fail(
        id,
        bo.id,
        `${tt.id} is ${swapped ? '' : 'not '}SWAPPED but has ${tt.swapStorage === null ? 'no' : 'a'} swap storage`,
      );
    }
    if (tt.swapStorage !== null) {
      if (tt.swapStorage.released)
        return fail(id, bo.id, `${tt.id}'s swap storage ${tt.swapStorage.id} was released`);
      accounted += tt.swapStorage.slots.size;
    }
    let handles = 0;
    const pages = tt.pages ?? [];
    for (let i = 0; i < pages.length; i += 1) {
      const p = pages[i];
      if (p === undefined || p === null || typeof p === 'number') continue;
      if (p.handle === 0) {
        if (tt.restore === null)
          return fail(id, bo.id, `${tt.id} slot ${i} holds a restored marker (handle 0) outside a restore`);
        continue;
      }
      handles += 1;
      if (!backedUp) {
        return fail(
          id,
          bo.id,
          `${tt.id} slot ${i} holds backup handle ${p.handle}, but the tt is not backed up`,
        );
      }
      if (p.handle !== i + 1)
        return fail(id, bo.id, `${tt.id} slot ${i} holds backup handle ${p.handle}, not ${i + 1}`);
      const file = tt.backup;
      if (file === null || file.released) {
        return fail(
          id,
          bo.id,
          `${tt.id} slot ${i} holds backup handle ${p.handle}, but the tt has no backup file`,
        );
      }
      if (!file.slots.has(p.handle - 1)) {
        return fail(
          id,
          bo.id,
          `${tt.id} slot ${i} holds backup handle ${p.handle}, but page ${p.handle - 1} of ${file.id} was dropped`,
        );
      }
    }
    if (tt.backup !== null && !tt.backup.released) {
      if (tt.backup.slots.size !== handles) {
        return fail(
          id,
          bo.id,
          `${tt.backup.id} of ${tt.id} holds ${tt.backup.slots.size} pages, but ${handles} handles name them`,
        );
      }
      accounted += handles;
    }
  }
  if (g.swap.usedPages !== accounted) {
    return fail(
      id,
      'swap',
      `${g.swap.usedPages} swap slots in use, but live tts hold ${accounted} (a handle or file leaked)`,
    );
  }
  return null;
}
