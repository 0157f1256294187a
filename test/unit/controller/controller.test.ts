import { pino } from "pino";
import { Action } from "../../../src/controller/action.js";
import { Controller } from "../../../src/controller/controller.js";
import { WorkQueue } from "../../../src/controller/workqueue.js";
import { FakeClock } from "./fake-clock.js";

/**
 * The controller's one error policy: a reconcile that throws is retried with
 * the queue's per-key exponential backoff; `awaitChange` is not retried;
 * `requeue` comes back after its delay.
 */

const flush = () => new Promise((resolve) => setImmediate(resolve));

function controller(reconcile: (key: string) => Promise<Action>) {
  const clock = new FakeClock();
  const queue = new WorkQueue({ clock, backoffBaseMs: 100, backoffMaxMs: 10_000 });
  const results: string[] = [];
  const c = new Controller({
    queue,
    concurrency: 1,
    reconcile,
    logger: pino({ level: "silent" }),
    observe: (result) => results.push(result),
  });
  return { clock, queue, results, c };
}

describe("Controller", () => {
  test("a failing reconcile is retried with growing backoff, then forgotten once it succeeds", async () => {
    let calls = 0;
    const { clock, queue, results, c } = controller(() => {
      calls += 1;
      return calls < 3 ? Promise.reject(new Error("transient")) : Promise.resolve(Action.awaitChange());
    });
    c.start();
    queue.add("ns/a");
    await flush();
    expect(calls).toBe(1);

    clock.advance(99);
    await flush();
    expect(calls).toBe(1); // first retry after the base delay
    clock.advance(1);
    await flush();
    expect(calls).toBe(2);

    clock.advance(199);
    await flush();
    expect(calls).toBe(2); // doubled
    clock.advance(1);
    await flush();
    expect(calls).toBe(3);
    expect(results).toEqual(["error", "error", "success"]);
    expect(queue.retries("ns/a")).toBe(0);

    clock.advance(60_000);
    await flush();
    expect(calls).toBe(3); // awaitChange: not looked at again
    await c.stop();
  });

  test("requeue comes back after its delay", async () => {
    let calls = 0;
    const { clock, queue, c } = controller(() => {
      calls += 1;
      return Promise.resolve(Action.requeue(5_000));
    });
    c.start();
    queue.add("ns/a");
    await flush();
    clock.advance(4_999);
    await flush();
    expect(calls).toBe(1);
    clock.advance(1);
    await flush();
    expect(calls).toBe(2);
    await c.stop();
  });
});
