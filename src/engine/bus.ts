// The message bus: address-routed delivery of envelopes to actor handlers, and an RxJS stream of every
// delivery for whoever wants to watch the traffic (viewers, inspection, tests).
// The bus only delivers; the scheduler decides when. Delivery is synchronous and depth-first: a
// handler is called directly, so an exception it throws leaves `send` at once, at the same step.
// A per-address RxJS Subject used to sit between `send` and the handler; it cost a Subject and a
// subscription per actor per run and an RxJS hop per delivery (about a sixth of a small run) and added
// nothing the scheduler does not already decide, so the stream is now one Subject made only when
// something subscribes to `deliveries$`. Observers watch from outside the simulation and must not
// throw: RxJS 7 reports a subscriber's exception asynchronously (through a real timer), which is why
// actor handlers are never RxJS subscribers.

import { type Observable, Subject } from 'rxjs';
import type { Envelope } from './types.ts';

/** Address-routed delivery of envelopes to actor handlers. */
export class Bus {
  private readonly routes = new Map<string, (env: Envelope) => void>();
  private tap: Subject<Envelope> | undefined;

  /** Every envelope delivered, after its handler ran (hot: only deliveries made while subscribed). */
  get deliveries$(): Observable<Envelope> {
    this.tap ??= new Subject<Envelope>();
    return this.tap.asObservable();
  }

  /**
   * Route envelopes addressed to `id` to `handler`.
   * @throws Error when `id` is already attached (two actors with one systemId is a simulator bug).
   */
  attach(id: string, handler: (env: Envelope) => void): void {
    if (this.routes.has(id)) throw new Error(`bus: actor '${id}' is already attached`);
    this.routes.set(id, handler);
  }

  /** Stop routing to `id`; returns false when it was not attached. */
  detach(id: string): boolean {
    return this.routes.delete(id);
  }

  has(id: string): boolean {
    return this.routes.has(id);
  }

  /**
   * Deliver `env` to the handler attached at `env.to`, synchronously.
   * @throws Error when nothing is attached at `env.to` (a simulator bug), and rethrows whatever the
   *   handler threw.
   */
  send(env: Envelope): void {
    const handler = this.routes.get(env.to);
    if (handler === undefined) {
      throw new Error(`bus: no actor attached at '${env.to}' (message ${env.msg.type} from ${env.from})`);
    }
    handler(env);
    if (this.tap?.observed === true) this.tap.next(env);
  }
}
