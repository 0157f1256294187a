import { realClock, type Clock } from "./clock.js";
import { ExponentialBackoff, TokenBucket } from "./rate-limiter.js";

/**
 * A work queue with client-go's guarantees:
 * - an item is queued at most once however often it is added (dedup);
 * - an item is never processed by two workers at once: adding an item that
 *   is being processed marks it dirty, and it is queued again when `done`;
 * - failures are retried with per-item exponential backoff under a global
 *   token bucket; `forget` resets the backoff after a success.
 */
export interface WorkQueueOptions {
  readonly clock?: Clock;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Global rate for retries (items per second) and its burst. */
  readonly retryRatePerSecond?: number;
  readonly retryBurst?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; cancel(): void }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly clock: Clock;
  private readonly backoff: ExponentialBackoff;
  private readonly bucket: TokenBucket;
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.backoff = new ExponentialBackoff(options.backoffBaseMs, options.backoffMaxMs);
    this.bucket = new TokenBucket(
      options.retryRatePerSecond ?? 10,
      options.retryBurst ?? 100,
      this.clock.now(),
    );
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Adds after a delay; an earlier pending delayed add for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing !== undefined && existing.at <= at) return;
    existing?.cancel();
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, cancel: () => timer.cancel() });
  }

  /** Retries a failed item with exponential backoff (and the global bucket). */
  addRateLimited(key: string): number {
    const delay = Math.max(this.backoff.when(key), this.bucket.reserve(this.clock.now()));
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** Resolves with the next key, or undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Items waiting (not counting delayed or in-flight ones): the workqueue depth metric. */
  get length(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  get pendingDelayed(): number {
    return this.delayed.size;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
