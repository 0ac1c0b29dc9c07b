// Linux errno values used by TTM (include/uapi/asm-generic/errno-base.h, errno.h, linux/errno.h).
// Kernel functions return them negated, exactly as the kernel does: 0 is success, -EBUSY a failure.

export const EINTR = 4;
export const EIO = 5;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EDEADLK = 35;
export const ENODATA = 61;
export const EMULTIHOP = 72;
export const EALREADY = 114;
export const ENOENT = 2;
export const ENODEV = 19;
/** Kernel-internal: a syscall interrupted by a signal is restarted (linux/errno.h). */
export const ERESTARTSYS = 512;

const NAMES: Readonly<Record<number, string>> = {
  [ENOENT]: 'ENOENT',
  [ENODEV]: 'ENODEV',
  [EINTR]: 'EINTR',
  [EIO]: 'EIO',
  [EAGAIN]: 'EAGAIN',
  [ENOMEM]: 'ENOMEM',
  [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY',
  [EINVAL]: 'EINVAL',
  [ENOSPC]: 'ENOSPC',
  [EDEADLK]: 'EDEADLK',
  [ENODATA]: 'ENODATA',
  [EMULTIHOP]: 'EMULTIHOP',
  [EALREADY]: 'EALREADY',
  [ERESTARTSYS]: 'ERESTARTSYS',
};

/** `-16` → `-EBUSY`, `0` → `0`; unknown values print as numbers. */
export function errnoName(ret: number): string {
  if (ret >= 0) return String(ret);
  const name = NAMES[-ret];
  return name === undefined ? String(ret) : `-${name}`;
}
