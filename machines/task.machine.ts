// Statechart of a kernel task (a thread running a kernel path: an ioctl, a kworker, a test thread).
// Its progress is a sequence of scheduled steps; between steps it is runnable, sleeping on a lock or a
// fence, or sleeping for time.

import { setup } from 'xstate';

export type TaskEvent =
  | { type: 'task.start' }
  | { type: 'task.preempt' }
  | { type: 'task.resume' }
  | { type: 'task.block'; on: string }
  | { type: 'task.sleep'; ms: number }
  | { type: 'task.exit' };

export const taskMachine = setup({ types: { events: {} as TaskEvent } }).createMachine({
  id: 'task',
  initial: 'ready',
  states: {
    ready: { on: { 'task.start': 'running' } },
    running: {
      on: {
        'task.preempt': 'runnable',
        'task.block': 'blocked',
        'task.sleep': 'sleeping',
        'task.exit': 'exited',
      },
    },
    runnable: { on: { 'task.resume': 'running' } },
    blocked: { on: { 'task.resume': 'running' } },
    sleeping: { on: { 'task.resume': 'running' } },
    exited: { type: 'final' },
  },
});
