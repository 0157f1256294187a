/**
 * A counting semaphore: at most `limit` holders at once, the rest wait in
 * arrival order. The operator's whole budget of concurrent API requests is
 * one of these, so N concurrent reconciles each applying a dozen children
 * cannot put N × 12 requests on the apiserver at once.
 */
export class InFlightLimit {
  private held = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most holders seen at once (benchmarks print it to show the budget was respected). */
  peak = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`in-flight limit must be ≥ 1, got ${limit}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.held < this.limit) {
      this.held += 1;
      this.peak = Math.max(this.peak, this.held);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter: `held` is unchanged.
    if (next !== undefined) next();
    else this.held -= 1;
  }
}
