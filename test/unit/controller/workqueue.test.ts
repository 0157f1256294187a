import { WorkQueue } from "../../../src/controller/workqueue.js";
import { ExponentialBackoff, TokenBucket } from "../../../src/controller/rate-limiter.js";
import { FakeClock } from "./fake-clock.js";

describe("WorkQueue", () => {
  test("an item added many times is queued once", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add("a");
    q.add("a");
    q.add("b");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  test("an item added while it is processed is not handed to a second worker, and comes back after done", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add("a");
    const key = await q.get();
    q.add("a");
    expect(q.length).toBe(0);
    q.done(key!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("a");
  });

  test("a waiting worker receives the next added item", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const pending = q.get();
    q.add("x");
    expect(await pending).toBe("x");
    expect(q.inFlight).toBe(1);
  });

  test("addAfter delivers the item only when the clock reaches the delay, and an earlier request wins", () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter("a", 1000);
    q.addAfter("a", 5000);
    clock.advance(999);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    expect(q.pendingDelayed).toBe(0);
  });

  test("failures back off exponentially per item, and forget resets the item", () => {
    const q = new WorkQueue({
      clock: new FakeClock(),
      backoffBaseMs: 100,
      backoffMaxMs: 1000,
      retryBurst: 1000,
    });
    expect([
      q.addRateLimited("a"),
      q.addRateLimited("a"),
      q.addRateLimited("a"),
      q.addRateLimited("a"),
      q.addRateLimited("a"),
    ]).toEqual([100, 200, 400, 800, 1000]);
    expect(q.addRateLimited("b")).toBe(100);
    q.forget("a");
    expect(q.retries("a")).toBe(0);
    expect(q.addRateLimited("a")).toBe(100);
  });

  test("shutDown wakes waiting workers with undefined and refuses new items", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const pending = q.get();
    q.shutDown();
    expect(await pending).toBeUndefined();
    q.add("late");
    expect(q.length).toBe(0);
    expect(await q.get()).toBeUndefined();
  });
});

describe("rate limiters", () => {
  test("ExponentialBackoff caps at the maximum however many failures", () => {
    const b = new ExponentialBackoff(10, 50);
    const delays = Array.from({ length: 40 }, () => b.when("k"));
    expect(Math.max(...delays)).toBe(50);
    expect(delays.slice(0, 3)).toEqual([10, 20, 40]);
  });

  test("TokenBucket lets a burst through, then spaces items at the configured rate", () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect(bucket.reserve(0)).toBe(0);
    expect(bucket.reserve(0)).toBe(0);
    expect(bucket.reserve(0)).toBe(100);
    expect(bucket.reserve(0)).toBe(200);
    expect(bucket.reserve(1000)).toBe(0);
  });
});
