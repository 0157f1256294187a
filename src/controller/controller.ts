import type { Logger } from "pino";
import type { Action } from "./action.js";
import { WorkQueue } from "./workqueue.js";

/**
 * Runs `reconcile(key)` from a work queue on N workers. Level-based: the key
 * is all a reconcile gets, it reads the world from caches. The error policy
 * is the queue's: a reconcile that throws is retried with per-key exponential
 * backoff under the global token bucket; one that cannot succeed until the
 * resource changes (an invalid spec) returns `awaitChange` instead of throwing.
 */
export interface ControllerOptions {
  readonly queue: WorkQueue;
  readonly concurrency: number;
  readonly reconcile: (key: string) => Promise<Action>;
  readonly logger: Logger;
  readonly observe?: (result: "success" | "error", seconds: number) => void;
}

export class Controller {
  private workers: Promise<void>[] = [];

  constructor(private readonly options: ControllerOptions) {}

  start(): void {
    for (let i = 0; i < this.options.concurrency; i += 1) this.workers.push(this.work());
  }

  /** Stops taking work and resolves once every in-flight reconcile has finished. */
  async stop(): Promise<void> {
    this.options.queue.shutDown();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    const { queue, reconcile, logger } = this.options;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const started = performance.now();
      try {
        const action = await reconcile(key);
        queue.forget(key);
        this.options.observe?.("success", (performance.now() - started) / 1000);
        if (action.kind === "requeue") queue.addAfter(key, action.afterMs);
      } catch (err) {
        this.options.observe?.("error", (performance.now() - started) / 1000);
        const retries = queue.retries(key);
        const wait = queue.addRateLimited(key);
        logger.warn(
          { key, err: err instanceof Error ? err.message : String(err), retryInMs: wait, retries },
          "reconcile failed",
        );
      } finally {
        queue.done(key);
      }
    }
  }
}
