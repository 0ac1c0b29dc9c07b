// drm_exec-style reservation of several BOs with one ww ticket, shared by the scenarios that submit GPU
// work: on -EDEADLK drop every lock held, take the contended BO through the slowpath, then the rest.

import { type BufferObject, ttmBoReserve, ttmBoReserveSlowpath } from '../../kernel/bo.ts';
import type { KGen } from '../../kernel/env.ts';
import { EALREADY, EDEADLK } from '../../kernel/errno.ts';
import type { WwAcquireCtx } from '../../kernel/ww_mutex.ts';

/**
 * Reserve every BO of `bos` with `ticket`. Returns the BOs locked (each once, duplicates skipped via
 * -EALREADY) or a negative errno with nothing held; `onBackoff` is told of every -EDEADLK back-off.
 */
export function* reserveAll(
  bos: readonly BufferObject[],
  ticket: WwAcquireCtx,
  onBackoff: () => void,
): KGen<BufferObject[] | number> {
  let contended: BufferObject | null = null;
  for (;;) {
    const locked: BufferObject[] = [];
    if (contended !== null) {
      const ret = yield* ttmBoReserveSlowpath(contended, true, ticket);
      if (ret !== 0) return ret;
      locked.push(contended);
    }
    let dead: BufferObject | null = null;
    for (const bo of bos) {
      if (bo === contended) continue;
      const ret = yield* ttmBoReserve(bo, true, false, ticket);
      if (ret === -EALREADY) continue;
      if (ret === -EDEADLK) {
        dead = bo;
        break;
      }
      if (ret !== 0) {
        for (const l of locked) l.resv.unlock();
        return ret;
      }
      locked.push(bo);
    }
    if (dead === null) return locked;
    for (const l of locked) l.resv.unlock();
    onBackoff();
    contended = dead;
  }
}
