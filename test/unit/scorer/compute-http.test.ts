import { createHash } from "node:crypto";
import {
  json,
  makeDataDir,
  MODEL_A,
  MODEL_B,
  startScorer,
  until,
  writeStandardData,
  fakeSources,
} from "./fakes.js";
import type { DataDir, Running } from "./fakes.js";
import { CRASH_ON_LOAD, CRASH_TICKER, FAKE_KERNEL_MODULE } from "./fake-kernel.js";
import { WorkerPool } from "../../../src/scorer/compute/pool.js";

/**
 * The scorer with its per-request compute on worker threads (the fake
 * kernel), beside the same scorer computing on its main thread: same
 * answers, hot swaps reach the workers, a dying worker gives one JSON 503
 * and is replaced.
 */

const pooled = { ...fakeSources, kernelModule: FAKE_KERNEL_MODULE };
const PRICES = { AAA: [100, 101, 103], BBB: [50, 49], CCC: [10, 11, 12, 13] };

let data: DataDir;
let workers: Running;
let inline: Running;

beforeAll(async () => {
  data = await makeDataDir();
  await writeStandardData(data);
  // Cache off: stored rows are computed per request too (on the workers).
  workers = await startScorer(data.dir, { computeWorkers: "2", explainCacheSize: "0" }, pooled);
  inline = await startScorer(data.dir, { computeWorkers: "0", explainCacheSize: "0" }, pooled);
});

afterAll(async () => {
  await workers.stop();
  await inline.stop();
  await data.cleanup();
});

function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function sha(url: string): Promise<unknown> {
  return (await json(await fetch(`${url}/ready`))).model_sha256;
}

test("the scorer computes on a pool only when the sources name a kernel and workers are asked for", () => {
  expect(workers.scorer.state.compute).toBeInstanceOf(WorkerPool);
  expect(inline.scorer.state.compute).not.toBeInstanceOf(WorkerPool);
});

test("workers answer exactly what the main thread answers", async () => {
  const requests: [string, unknown][] = [
    ["/score", { prices: PRICES }],
    ["/explain_local", { ticker: "CCC", prices: PRICES, top_k: 2 }],
    ["/explain_local", { ticker: "BBB" }],
    ["/score", { prices: { AAA: [1] } }], // too short: 400 insufficient_history from the worker
    ["/explain_local", { ticker: "ZZZ", prices: PRICES }], // 404 unknown_ticker
  ];
  for (const [path, body] of requests) {
    const [a, b] = await Promise.all([post(workers.url, path, body), post(inline.url, path, body)]);
    expect(a.status).toBe(b.status);
    expect(await a.json()).toEqual(await b.json());
  }
  expect((await post(workers.url, "/score", { prices: { AAA: [1] } })).status).toBe(400);
});

test("a swapped model reaches the workers; a worker crash is one JSON 503 and the next request is served", async () => {
  const before = await sha(workers.url);
  await data.write("models/model.txt", MODEL_B);
  await until(async () => (await sha(workers.url)) !== before && (await sha(inline.url)) !== before);
  const a = await json(await post(workers.url, "/explain_local", { ticker: "AAA", prices: PRICES }));
  expect(a.base_value).toBe(MODEL_B.bias);
  expect(a).toEqual(await json(await post(inline.url, "/explain_local", { ticker: "AAA", prices: PRICES })));

  const crashed = await post(workers.url, "/score", { prices: { ...PRICES, [CRASH_TICKER]: [1, 2] } });
  expect(crashed.status).toBe(503);
  expect(crashed.headers.get("content-type")).toMatch(/application\/json/);
  expect(((await crashed.json()) as { error: { code: string } }).error.code).toBe("compute_failed");
  const again = await post(workers.url, "/score", { prices: PRICES });
  expect(again.status).toBe(200);
  expect(await again.json()).toEqual(await (await post(inline.url, "/score", { prices: PRICES })).json());
});

test("a model that kills the workers loading it is refused; the last good model keeps serving", async () => {
  await data.write("models/model.txt", MODEL_A);
  const good = createHash("sha256").update(JSON.stringify(MODEL_A)).digest("hex");
  await until(async () => (await sha(workers.url)) === good);
  const failures = () =>
    workers.scorer.metrics.modelReloadFailures.get().then((m) => m.values[0]?.value ?? 0);
  const failed = await failures();
  await data.write("models/model.txt", { ...MODEL_B, [CRASH_ON_LOAD]: true });
  await until(async () => (await failures()) > failed);
  expect(await sha(workers.url)).toBe(good);
  const r = await post(workers.url, "/explain_local", { ticker: "AAA", prices: PRICES });
  expect(r.status).toBe(200);
  expect(((await r.json()) as { base_value: number }).base_value).toBe(MODEL_A.bias);
});
