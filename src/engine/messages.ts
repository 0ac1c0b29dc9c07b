// The one typed message union of the simulator. Types are dotted, namespaced by the receiving kind.
// Grows with the model; the engine only relies on `type`.

export type Errno = number;

export type Msg =
  /** Start or continue a task's program (self-posted at every preemption point). */
  | { readonly type: 'task.run' }
  /** A resv lock the task waited for was handed to it, or its ww request was answered. */
  | { readonly type: 'bo.reserved'; readonly bo: string; readonly errno: Errno }
  /** Request a reservation (ww_mutex lock) on a BO; answered by `bo.reserved`. */
  | {
      readonly type: 'bo.reserve';
      readonly task: string;
      readonly ticket: number | null;
      readonly interruptible: boolean;
      readonly slow: boolean;
    }
  /** A fence the task waited for signalled (or its wait ended). */
  | { readonly type: 'fence.signaled'; readonly fence: string }
  /** Ask a fence timeline to signal its oldest unsignalled fence. */
  | { readonly type: 'fence.signal'; readonly fence: string }
  /** A POSIX signal delivered to a task (interrupts interruptible waits). */
  | { readonly type: 'task.signal'; readonly signo: number }
  /** Delayed-delete work queued on a device's workqueue. */
  | { readonly type: 'device.delayed_delete'; readonly bo: string }
  /** Timer expiry owned by an actor (virtual clock). */
  | { readonly type: 'timer.fire'; readonly timer: number };

export type MsgType = Msg['type'];
