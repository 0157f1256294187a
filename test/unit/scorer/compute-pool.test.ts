import { pino } from "pino";
import { ApiError } from "../../../src/scorer/errors.js";
import type { ComputeModel } from "../../../src/scorer/compute/compute.js";
import { DEFAULT_MAX_BATCH, WorkerPool } from "../../../src/scorer/compute/pool.js";
import { packPrices, type ComputeResult, type ComputeTask } from "../../../src/scorer/compute/tasks.js";
import { CRASH_ON_LOAD, CRASH_TICKER, FAKE_KERNEL_MODULE } from "./fake-kernel.js";
import { fakeBuilder, FakeModel, MODEL_A, MODEL_B, until, type FakeModelFile } from "./fakes.js";

/**
 * The worker pool on real worker threads running the fake kernel (the
 * linear fake model: every answer can be computed here by hand).
 */

const log = pino({ level: "silent" });
const bytes = (file: FakeModelFile | Record<string, unknown>) =>
  new TextEncoder().encode(JSON.stringify(file));
/** Fake features are [ret_1, n_prices]; both models read them by name. */
const COLUMNS = Int32Array.of(0, 1);
const PRICES = { AAA: [100, 110], BBB: [50, 45, 40] };

function score(prices: Record<string, number[]> = PRICES): ComputeTask {
  return { kind: "score", prices: packPrices(prices), columns: COLUMNS };
}

/** What the model computes for PRICES, in the task's column order. */
function expected(file: FakeModelFile): number[] {
  const model = new FakeModel(file);
  const rows = Float64Array.of(110 / 100 - 1, 2, 40 / 45 - 1, 3);
  // MODEL_B lists its features the other way round: reorder the rows as its alignment would.
  const order = file.features.map((f) => (f === "ret_1" ? 0 : 1));
  const aligned = Float64Array.from({ length: 4 }, (_, i) => rows[(i >> 1) * 2 + order[i % 2]!]!);
  return Array.from(model.predict(aligned, 2));
}

function alpha(r: ComputeResult): number[] {
  if (r.kind !== "score") throw new Error(`expected a score result, got ${r.kind}`);
  return Array.from(r.prediction);
}

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

function newPool(size: number, queueLimit = 16, exits: number[] = []): WorkerPool {
  pool = new WorkerPool({
    size,
    queueLimit,
    kernelModule: FAKE_KERNEL_MODULE,
    log,
    onWorkerExit: (code) => exits.push(code),
  });
  return pool;
}

test("a model swap reaches every worker before it can be served, and the retired model leaves them", async () => {
  const p = newPool(2);
  const a = await p.load(bytes(MODEL_A), "auto");
  expect(p.workerModels()).toEqual([[1], [1]]);
  expect(alpha(await a.run(score()))).toEqual(expected(MODEL_A));

  const b: ComputeModel = await p.load(bytes(MODEL_B), "auto");
  // Resolved only once both workers hold it: every later request can run on B.
  expect(p.workerModels()).toEqual([
    [1, 2],
    [1, 2],
  ]);
  const bColumns = Int32Array.of(1, 0); // MODEL_B is [n_prices, ret_1]
  const [onA, onB] = await Promise.all([
    a.run(score()),
    b.run({ kind: "score", prices: packPrices(PRICES), columns: bColumns }),
  ]);
  // A request that leased A before the swap still gets A's answer.
  expect(alpha(onA)).toEqual(expected(MODEL_A));
  expect(alpha(onB)).toEqual(expected(MODEL_B));

  a.release();
  expect(p.workerModels()).toEqual([[2], [2]]);
  await expect(a.run(score())).rejects.toThrow(/retired/);
  expect(alpha(await b.run({ kind: "score", prices: packPrices(PRICES), columns: bColumns }))).toEqual(
    expected(MODEL_B),
  );
});

test("past the queue limit a request is refused at once with 503 overloaded and Retry-After", async () => {
  const p = newPool(1, 2);
  const m = await p.load(bytes(MODEL_A), "auto");
  // Submitted in one tick: the first goes to the worker, two wait, the fourth finds the queue full.
  const runs = [m.run(score()), m.run(score()), m.run(score()), m.run(score())];
  const refused = await runs[3]!.then(
    () => null,
    (err: unknown) => err,
  );
  expect(refused).toBeInstanceOf(ApiError);
  const e = refused as ApiError;
  expect(e.status).toBe(503);
  expect(e.code).toBe("overloaded");
  expect(e.headers).toEqual({ "Retry-After": "1" });
  const body = e.toBody();
  expect(body.error.message).toMatch(/queue full/);
  expect(body).toEqual({
    error: { code: "overloaded", message: body.error.message, details: { queue_limit: 2, workers: 1 } },
  });
  for (const r of runs.slice(0, 3)) expect(alpha(await r)).toEqual(expected(MODEL_A));
  expect(p.stats()).toMatchObject({ queued: 0, running: 0 });
});

test("waiting requests are batched onto a free worker and each gets its own answer", async () => {
  const p = newPool(1, 64);
  const m = await p.load(bytes(MODEL_A), "auto");
  const posts = Array.from({ length: 20 }, (_, i) => ({ [`T${i}`]: [100, 100 + i] }));
  const results = await Promise.all(posts.map((prices) => m.run(score(prices))));
  // The first went alone to the idle worker; the 19 that waited went in batches of DEFAULT_MAX_BATCH.
  expect(p.stats().batches).toBe(1 + Math.ceil(19 / DEFAULT_MAX_BATCH));
  const model = new FakeModel(MODEL_A);
  results.forEach((r, i) => {
    if (r.kind !== "score") throw new Error(r.kind);
    expect(r.tickers).toEqual([`T${i}`]);
    const own = fakeBuilder.build(posts[i]!).values; // [ret_1, n_prices] = MODEL_A's order
    expect(Array.from(r.prediction)).toEqual(Array.from(model.predict(own, 1)));
  });
});

test("a worker that dies fails its request with 503 compute_failed and is replaced with the served model", async () => {
  const exits: number[] = [];
  const p = newPool(1, 16, exits);
  const m = await p.load(bytes(MODEL_A), "auto");
  const crashed = await m.run(score({ [CRASH_TICKER]: [1, 2] })).then(
    () => null,
    (err: unknown) => err,
  );
  expect(crashed).toBeInstanceOf(ApiError);
  expect((crashed as ApiError).status).toBe(503);
  expect((crashed as ApiError).toBody().error).toMatchObject({
    code: "compute_failed",
    details: { exit_code: 7 },
  });
  expect(exits).toEqual([7]);
  // The next request waits for the replacement, which loads the served model first.
  expect(alpha(await m.run(score()))).toEqual(expected(MODEL_A));
  expect(p.stats().workers).toBe(1);
  expect(p.workerModels()).toEqual([[1]]);
});

test("a model that kills the worker loading it is refused; the served model keeps serving", async () => {
  const exits: number[] = [];
  const p = newPool(2, 16, exits);
  const a = await p.load(bytes(MODEL_A), "auto");
  await expect(p.load(bytes({ ...MODEL_A, [CRASH_ON_LOAD]: true }), "auto")).rejects.toThrow(
    /stopped \(exit 9\) while loading/,
  );
  expect(exits).toEqual([9]);
  expect(alpha(await a.run(score()))).toEqual(expected(MODEL_A));
  // The refused model is forgotten: a replacement loads only the served one.
  await until(() => p.stats().workers === 2 && p.workerModels().every((g) => g.length === 1));
  expect(p.workerModels()).toEqual([[1], [1]]);
  expect(p.stats().generations).toEqual([1]);
});

test("a model file the workers cannot parse is refused with the reason", async () => {
  const p = newPool(1);
  await expect(p.load(new TextEncoder().encode("not json"), "auto")).rejects.toThrow(
    /compute worker could not load the model/,
  );
  expect(p.stats().generations).toEqual([]);
});

test("closing the pool rejects waiting requests with 503 shutting_down", async () => {
  const p = newPool(1, 8);
  const m = await p.load(bytes(MODEL_A), "auto");
  const refused = [m.run(score()), m.run(score())].map((r) =>
    expect(r).rejects.toMatchObject({ code: "shutting_down", status: 503 }),
  );
  await p.close();
  await Promise.all(refused);
  await expect(m.run(score())).rejects.toMatchObject({ code: "shutting_down" });
});
