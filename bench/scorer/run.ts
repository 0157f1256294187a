import autocannon from "autocannon";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { defaultComputeWorkers } from "../../src/scorer/config.js";
import { freePort } from "../../tools/cluster/ports.js";
import { openLoop, type OpenLoopRequest } from "./open-loop.js";

/**
 * bench/scorer: the scorer and the FastAPI + LightGBM baseline on loopback,
 * same data, same client (autocannon), one after the other.
 *
 * Two paths (design §9), each against the baseline run with as many
 * uvicorn workers as cores (its fair configuration; one worker is one core):
 * - cached: `GET /score_expected` and `POST /explain_local` on a stored
 *   panel row. The scorer serves these from its precomputed panel SHAP
 *   table and pre-serialised bodies; the baseline computes every request.
 * - compute: `POST /explain_local` and `POST /score` with posted prices
 *   (`--post-tickers` tickers × 253 closes): features, prediction and
 *   TreeSHAP on every request in both services, nothing cacheable.
 * For each service and endpoint: a saturation phase (autocannon, default 32
 * connections) for req/s, then, when that reached the rate, a fixed-rate
 * phase (default 200 req/s, open loop: evenly spaced sends, `open-loop.ts`)
 * for latency p50/p95/p99; a service that cannot reach the rate is shown
 * as not sustaining it. Latencies are every response's own time, collected exactly. The
 * 1-minute load average is recorded after each phase (the machine may be
 * shared; the bench's own processes count in it too), and so is each
 * service's CPU time per request (from /proc, all its threads and worker
 * processes), which other jobs on the machine barely move. Before any load the
 * answers of both services are compared on both paths.
 *
 * Run through bench/scorer/run.sh, which type-checks, builds and prepares the data.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const { values: opts } = parseArgs({
  options: {
    data: { type: "string" },
    python: { type: "string" },
    duration: { type: "string", default: "10" },
    rate: { type: "string", default: "200" },
    connections: { type: "string", default: "32" },
    "post-tickers": { type: "string", default: "20" },
    /** Which paths to load, comma-separated (a shared machine's quiet minute may fit only one). */
    paths: { type: "string", default: "cached,compute" },
    out: { type: "string", default: resolve(ROOT, "bench/scorer/results.json") },
  },
});
if (opts.data === undefined || opts.python === undefined) throw new Error("--data and --python are required");
const DATA = opts.data;
const PYTHON = opts.python;
const DURATION = Number(opts.duration);
const RATE = Number(opts.rate);
const CONNECTIONS = Number(opts.connections);
const POST_TICKERS = Number(opts["post-tickers"]);
const PATHS = new Set(opts.paths.split(","));
const CLOSES = 253;
const CORES = availableParallelism();

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Service {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
}

async function startMaie(): Promise<Service> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      resolve(ROOT, "dist/src/cli/main.js"),
      "scorer",
      "--data-dir",
      DATA,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { name: "maie scorer", url, child };
}

async function startBaseline(workers: number): Promise<Service> {
  const port = await freePort();
  const child = spawn(
    PYTHON,
    [
      "-m",
      "uvicorn",
      "app:app",
      "--app-dir",
      resolve(ROOT, "bench/baseline"),
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--workers",
      String(workers),
      "--log-level",
      "warning",
      "--no-access-log",
    ],
    { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, MAIE_DATA_DIR: DATA } },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { name: "baseline", url, child };
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU time (ms) used so far by a process and its live descendants (uvicorn's
 * workers are child processes; the scorer's workers are threads, counted in
 * its own line). Reported per request beside the latencies: unlike them it
 * barely moves when other jobs share the machine.
 */
function treeCpuMs(pid: number): number {
  let ms = 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    ms += ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
    for (const tid of readdirSync(`/proc/${pid}/task`))
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" "))
        if (child.trim() !== "") ms += treeCpuMs(Number(child));
  } catch {
    // the process is gone: nothing more to count
  }
  return ms;
}

async function stop(s: Service): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await exited;
}

/** The versions that make up the baseline, read from its own interpreter. */
function baselineVersions(): Record<string, string> {
  const script =
    "import json, sys, fastapi, uvicorn, pydantic, lightgbm, numpy, pandas; " +
    "print(json.dumps({'python': sys.version.split()[0], 'fastapi': fastapi.__version__, " +
    "'uvicorn': uvicorn.__version__, 'pydantic': pydantic.VERSION, 'lightgbm': lightgbm.__version__, " +
    "'numpy': numpy.__version__, 'pandas': pandas.__version__}))";
  return JSON.parse(execFileSync(PYTHON, ["-c", script], { encoding: "utf8" })) as Record<string, string>;
}

type Path = "cached" | "compute";

interface Endpoint {
  readonly path: Path;
  readonly name: string;
  readonly requests: readonly OpenLoopRequest[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface PhaseResult {
  readonly path: Path;
  readonly service: string;
  readonly endpoint: string;
  readonly phase: string;
  readonly connections: number;
  readonly targetRate: number | null;
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50ms: number;
  readonly p95ms: number;
  readonly p99ms: number;
  readonly maxms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly timeouts: number;
  /** 1-minute load average when the phase ended. */
  readonly loadAvg: number;
  /** The service's CPU time (all its threads and processes) per answered request. */
  readonly serverCpuMsPerRequest: number;
  /** False for a rate phase not run because the service's saturation throughput is below the rate. */
  readonly sustained: boolean;
}

/** The rate phase of a service that cannot reach the rate at all (no latencies: there is no steady state). */
function unsustained(max: PhaseResult): PhaseResult {
  return {
    ...max,
    phase: `${RATE} req/s`,
    connections: 0,
    targetRate: RATE,
    requests: 0,
    p50ms: Infinity,
    p95ms: Infinity,
    p99ms: Infinity,
    maxms: Infinity,
    errors: 0,
    non2xx: 0,
    timeouts: 0,
    sustained: false,
  };
}

function cannonRequests(endpoint: Endpoint): autocannon.Request[] {
  return endpoint.requests.map((r) =>
    r.body === undefined
      ? { method: r.method, path: r.path }
      : { method: r.method, path: r.path, headers: { "content-type": "application/json" }, body: r.body },
  );
}

/** Saturation: `connections` closed-loop clients for DURATION (autocannon). */
async function saturate(
  url: string,
  endpoint: Endpoint,
  connections: number,
): Promise<{ latencies: number[]; reqPerSec: number; errors: number; non2xx: number; timeouts: number }> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration: DURATION, requests: cannonRequests(endpoint), timeout: 10 },
      (err: Error | null, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  return {
    latencies,
    reqPerSec: result.requests.total / result.duration,
    errors: result.errors,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
  };
}

async function phase(
  service: Service,
  endpoint: Endpoint,
  name: string,
  connections: number,
  rate: number | null,
): Promise<PhaseResult> {
  const pid = service.child.pid ?? -1;
  const cpuBefore = treeCpuMs(pid);
  const load =
    rate === null
      ? await saturate(service.url, endpoint, connections)
      : await openLoop(service.url, endpoint.requests, rate, DURATION);
  const latencies = load.latencies.sort((a, b) => a - b);
  const r: PhaseResult = {
    path: endpoint.path,
    service: service.name,
    endpoint: endpoint.name,
    phase: name,
    connections,
    targetRate: rate,
    requests: latencies.length,
    reqPerSec: load.reqPerSec,
    p50ms: percentile(latencies, 50),
    p95ms: percentile(latencies, 95),
    p99ms: percentile(latencies, 99),
    maxms: latencies.at(-1) ?? NaN,
    errors: load.errors,
    non2xx: load.non2xx,
    timeouts: "timeouts" in load ? load.timeouts : 0,
    loadAvg: loadavg()[0] ?? NaN,
    serverCpuMsPerRequest: (treeCpuMs(pid) - cpuBefore) / Math.max(1, latencies.length),
    sustained: true,
  };
  process.stderr.write(
    `${r.path.padEnd(8)} ${r.service.padEnd(12)} ${r.endpoint.padEnd(36)} ${r.phase.padEnd(10)} ${r.reqPerSec.toFixed(0).padStart(6)} req/s  ` +
      `p50 ${r.p50ms.toFixed(2)}  p95 ${r.p95ms.toFixed(2)}  p99 ${r.p99ms.toFixed(2)} ms  errors ${r.errors + r.non2xx + r.timeouts}  ` +
      `CPU ${r.serverCpuMsPerRequest.toFixed(2)} ms/req  load ${r.loadAvg.toFixed(2)}\n`,
  );
  return r;
}

/** Deterministic random-walk closes: `POST_TICKERS` series of `CLOSES`, one post per seed. */
function postedPrices(seed: number): Record<string, number[]> {
  let s = seed * 7919 + 17;
  const next = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const prices: Record<string, number[]> = {};
  for (let k = 0; k < POST_TICKERS; k++) {
    let p = 20 + 180 * next();
    prices[`P${k.toString().padStart(3, "0")}`] = Array.from({ length: CLOSES }, () => {
      p *= 1 + (next() - 0.5) * 0.04;
      return Math.round(p * 1e4) / 1e4;
    });
  }
  return prices;
}

interface Local {
  top_features: [string, number][];
  base_value: number;
  prediction: number;
}

async function postJson<T>(s: Service, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${s.name} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Largest differences between both services' answers: stored rows, posted prices (SHAP, predictions), /score. */
async function compare(
  a: Service,
  b: Service,
  tickers: string[],
  posts: Record<string, number[]>[],
): Promise<{ maxAbsShap: number; maxAbsPrediction: number; maxAbsAlpha: number; compared: number }> {
  let maxAbsShap = 0;
  let maxAbsPrediction = 0;
  let maxAbsAlpha = 0;
  let compared = 0;
  const bodies = [
    ...tickers.map((ticker) => ({ ticker, top_k: 1000 })),
    ...posts.map((prices, i) => ({ ticker: Object.keys(prices)[i % POST_TICKERS]!, top_k: 1000, prices })),
  ];
  for (const body of bodies) {
    const [x, y] = await Promise.all([
      postJson<Local>(a, "/explain_local", body),
      postJson<Local>(b, "/explain_local", body),
    ]);
    const ys = new Map(y.top_features);
    for (const [f, v] of x.top_features) maxAbsShap = Math.max(maxAbsShap, Math.abs(v - (ys.get(f) ?? NaN)));
    maxAbsShap = Math.max(maxAbsShap, Math.abs(x.base_value - y.base_value));
    maxAbsPrediction = Math.max(maxAbsPrediction, Math.abs(x.prediction - y.prediction));
    compared++;
  }
  for (const prices of posts) {
    type Alpha = { alpha: Record<string, number | null> };
    const [x, y] = await Promise.all([
      postJson<Alpha>(a, "/score", { prices }),
      postJson<Alpha>(b, "/score", { prices }),
    ]);
    for (const t of Object.keys(prices))
      maxAbsAlpha = Math.max(maxAbsAlpha, Math.abs((x.alpha[t] ?? NaN) - (y.alpha[t] ?? NaN)));
    compared++;
  }
  return { maxAbsShap, maxAbsPrediction, maxAbsAlpha, compared };
}

function post(path: string, body: unknown): OpenLoopRequest {
  return { method: "POST", path, body: JSON.stringify(body) };
}

async function main(): Promise<void> {
  const services: Service[] = [];
  const results: PhaseResult[] = [];
  const loadBefore = loadavg();
  const computeWorkers = defaultComputeWorkers(CORES);
  try {
    const maie = await startMaie();
    services.push(maie);
    // GET /explain resolves once the panel's SHAP table is complete: start the load after it.
    await fetch(`${maie.url}/explain`);
    const baseline = await startBaseline(CORES);
    services.push(baseline);
    const versions = baselineVersions();
    const peer = `FastAPI ${versions.fastapi} + LightGBM ${versions.lightgbm} pred_contrib (uvicorn ${versions.uvicorn}, ${CORES} workers, Python ${versions.python}, pydantic ${versions.pydantic}, numpy ${versions.numpy}, pandas ${versions.pandas})`;
    const ours = `maie scorer (Node ${process.version}, WASM TreeSHAP, ${computeWorkers} compute workers)`;
    process.stderr.write(
      `peer: ${peer}\nours: ${ours}\nload average before: ${loadBefore.map((l) => l.toFixed(2)).join(" ")}\n`,
    );

    const all = (await (await fetch(`${maie.url}/score_expected`)).json()) as {
      alpha: Record<string, number>;
    };
    const tickers = Object.keys(all.alpha);
    const posts = Array.from({ length: 50 }, (_, i) => postedPrices(i + 1));
    const agreement = await compare(maie, baseline, tickers.slice(0, 50), posts.slice(0, 10));
    process.stderr.write(
      `agreement over ${agreement.compared} requests: max |Δshap| ${agreement.maxAbsShap.toExponential(2)}, ` +
        `max |Δprediction| ${agreement.maxAbsPrediction.toExponential(2)}, max |Δalpha| ${agreement.maxAbsAlpha.toExponential(2)}\n`,
    );
    if (!(agreement.maxAbsShap < 1e-6 && agreement.maxAbsPrediction < 1e-6 && agreement.maxAbsAlpha < 1e-6))
      throw new Error("the scorer and the baseline disagree; not benchmarking");

    const endpoints: Endpoint[] = [
      { path: "cached", name: "GET /score_expected", requests: [{ method: "GET", path: "/score_expected" }] },
      {
        path: "cached",
        name: "POST /explain_local (stored row)",
        requests: tickers.slice(0, 200).map((t) => post("/explain_local", { ticker: t, top_k: 10 })),
      },
      {
        path: "compute",
        name: `POST /explain_local (${POST_TICKERS}×${CLOSES} prices)`,
        requests: posts.map((prices, i) =>
          post("/explain_local", { ticker: Object.keys(prices)[i % POST_TICKERS]!, top_k: 10, prices }),
        ),
      },
      {
        path: "compute",
        name: `POST /score (${POST_TICKERS}×${CLOSES} prices)`,
        requests: posts.map((prices) => post("/score", { prices })),
      },
    ];
    for (const endpoint of endpoints.filter((e) => PATHS.has(e.path)))
      for (const service of [maie, baseline]) {
        // warm-up (JIT, connection pools, every baseline worker), not recorded
        await autocannon({
          url: service.url,
          connections: 4,
          duration: 2,
          requests: cannonRequests(endpoint),
        });
        const max = await phase(service, endpoint, "max", CONNECTIONS, null);
        // Below the rate at saturation, an open loop at that rate only piles up a backlog (the
        // baseline's explanations: ~2000 requests of 14 ms CPU each): say so instead.
        results.push(
          max.reqPerSec >= RATE ? await phase(service, endpoint, `${RATE} req/s`, 0, RATE) : unsustained(max),
        );
        results.push(max);
      }

    const find = (service: string, endpoint: string, ph: string) =>
      results.find((r) => r.service === service && r.endpoint === endpoint && r.phase === ph)!;
    const ratios = endpoints
      .filter((e) => PATHS.has(e.path))
      .map((e) => ({
        path: e.path,
        endpoint: e.name,
        throughputRatio:
          find(maie.name, e.name, "max").reqPerSec / find(baseline.name, e.name, "max").reqPerSec,
        /** Baseline CPU per request over ours, at saturation: the throughput ratio the CPU allows. */
        cpuRatio:
          find(baseline.name, e.name, "max").serverCpuMsPerRequest /
          find(maie.name, e.name, "max").serverCpuMsPerRequest,
        p95AtRate: find(maie.name, e.name, `${RATE} req/s`).p95ms,
      }));
    const errors = results
      .filter((r) => r.service === maie.name)
      .reduce((a, r) => a + r.errors + r.non2xx + r.timeouts, 0);
    /** null: the path was not run. */
    const onPath = (path: Path, ok: (r: (typeof ratios)[number]) => boolean): boolean | null =>
      PATHS.has(path) ? ratios.filter((r) => r.path === path).every(ok) : null;
    const targets = {
      p95Under10msAtRate: ratios.every((r) => r.p95AtRate < 10),
      cachedAtLeast10x: onPath("cached", (r) => r.throughputRatio >= 10),
      computeAtLeast2x: onPath("compute", (r) => r.throughputRatio >= 2),
      zeroErrors: errors === 0,
    };
    const loads = results.map((r) => r.loadAvg);

    const lines = [
      "",
      `peer: ${peer}`,
      `ours: ${ours}`,
      `machine: ${CORES} cores (${cpus()[0]?.model ?? "unknown"}); load average before ${loadBefore[0]?.toFixed(2)}, during ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (1-min, the bench's own processes included)`,
      "",
      "| path | endpoint | service | load | req/s | p50 ms | p95 ms | p99 ms | errors | server CPU ms/req | load avg |",
      "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
      ...results.map((r) =>
        r.sustained
          ? `| ${r.path} | ${r.endpoint} | ${r.service} | ${r.phase === "max" ? `max, ${r.connections} conns` : r.phase} | ${r.reqPerSec.toFixed(0)} | ${r.p50ms.toFixed(2)} | ${r.p95ms.toFixed(2)} | ${r.p99ms.toFixed(2)} | ${r.errors + r.non2xx + r.timeouts} | ${r.serverCpuMsPerRequest.toFixed(2)} | ${r.loadAvg.toFixed(2)} |`
          : `| ${r.path} | ${r.endpoint} | ${r.service} | ${r.phase} | not sustained (max ${r.reqPerSec.toFixed(0)}) | – | – | – | – | – | – |`,
      ),
      "",
      ...ratios.map(
        (r) =>
          `${r.path} ${r.endpoint}: ${r.throughputRatio.toFixed(1)}x the baseline's max throughput ` +
          `(${r.cpuRatio.toFixed(1)}x less server CPU per request); p95 ${r.p95AtRate.toFixed(2)} ms at ${RATE} req/s`,
      ),
      `targets: p95 < 10 ms at ${RATE} req/s on every endpoint: ${targets.p95Under10msAtRate}; cached >= 10x: ${targets.cachedAtLeast10x}; ` +
        `compute >= 2x: ${targets.computeAtLeast2x}; zero errors (scorer): ${targets.zeroErrors}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: CORES, model: cpus()[0]?.model ?? "unknown", node: process.version, loadBefore },
      settings: {
        durationSeconds: DURATION,
        rate: RATE,
        connections: CONNECTIONS,
        postTickers: POST_TICKERS,
        closes: CLOSES,
        computeWorkers,
        baselineWorkers: CORES,
        data: DATA,
      },
      peer: { description: peer, versions },
      agreement,
      results,
      ratios,
      targets,
    };
    await writeFile(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`wrote ${opts.out}\n`);
  } finally {
    for (const s of services) await stop(s);
  }
}

await main();
