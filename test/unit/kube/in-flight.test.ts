import { InFlightLimit } from "../../../src/kube/in-flight.js";

/** The operator's budget of concurrent API requests. */

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("InFlightLimit", () => {
  test("never more than the limit at once; waiters start in arrival order as slots free", async () => {
    const limit = new InFlightLimit(2);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const all = gates.map((g, i) =>
      limit.run(async () => {
        started.push(i);
        running += 1;
        most = Math.max(most, running);
        await g.promise;
        running -= 1;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    gates[1]?.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.resolve();
    await expect(Promise.all(all)).resolves.toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(limit.peak).toBe(2);
  });

  test("a failing holder frees its slot", async () => {
    const limit = new InFlightLimit(1);
    await expect(limit.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(limit.run(() => Promise.resolve("next"))).resolves.toBe("next");
  });

  test("a limit below 1 is refused with the value named", () => {
    expect(() => new InFlightLimit(0)).toThrow(/≥ 1, got 0/);
  });
});
