import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { freePort } from "../../tools/cluster/ports.js";

/**
 * bench/scorer: the scorer and the FastAPI + LightGBM baseline on loopback,
 * same data, same client (autocannon), one after the other.
 *
 * For each service and endpoint (`GET /score_expected`, `POST /explain_local`
 * over rotating tickers): a fixed-rate phase (default 200 req/s) for latency
 * p50/p95/p99, and a saturation phase (default 32 connections) for req/s.
 * Latencies are every response's own time, collected exactly (not from a
 * histogram). The scorer runs as deployed (the panel's SHAP table filled in
 * the background after load, awaited before the load starts); extra rows show
 * it with the cache off, where every /explain_local runs TreeSHAP.
 * Before any load, answers of both services are compared (SHAP, prediction).
 *
 * Run through bench/scorer/run.sh, which builds and prepares the data.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const { values: opts } = parseArgs({
  options: {
    data: { type: "string" },
    python: { type: "string" },
    duration: { type: "string", default: "10" },
    rate: { type: "string", default: "200" },
    connections: { type: "string", default: "32" },
    out: { type: "string", default: resolve(ROOT, "bench/scorer/results.json") },
  },
});
if (opts.data === undefined || opts.python === undefined) throw new Error("--data and --python are required");
const DATA = opts.data;
const PYTHON = opts.python;
const DURATION = Number(opts.duration);
const RATE = Number(opts.rate);
const CONNECTIONS = Number(opts.connections);

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

async function startMaie(name: string, cache: number): Promise<Service> {
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
      "--explain-cache",
      String(cache),
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { name, url, child };
}

async function startBaseline(): Promise<Service> {
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
      "--log-level",
      "warning",
      "--no-access-log",
    ],
    { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, MAIE_DATA_DIR: DATA } },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { name: "baseline (FastAPI + LightGBM)", url, child };
}

async function stop(s: Service): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await exited;
}

interface Endpoint {
  readonly name: string;
  readonly requests: autocannon.Request[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface PhaseResult {
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
}

async function phase(
  service: Service,
  endpoint: Endpoint,
  name: string,
  connections: number,
  rate: number | null,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: service.url,
        connections,
        duration: DURATION,
        requests: endpoint.requests,
        timeout: 10,
        ...(rate === null ? {} : { overallRate: rate }),
      },
      (err: Error | null, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  latencies.sort((a, b) => a - b);
  const r: PhaseResult = {
    service: service.name,
    endpoint: endpoint.name,
    phase: name,
    connections,
    targetRate: rate,
    requests: result.requests.total,
    reqPerSec: result.requests.total / result.duration,
    p50ms: percentile(latencies, 50),
    p95ms: percentile(latencies, 95),
    p99ms: percentile(latencies, 99),
    maxms: latencies.at(-1) ?? NaN,
    errors: result.errors,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
  };
  process.stderr.write(
    `${r.service.padEnd(32)} ${r.endpoint.padEnd(22)} ${r.phase.padEnd(10)} ${r.reqPerSec.toFixed(0).padStart(7)} req/s  ` +
      `p50 ${r.p50ms.toFixed(2)}  p95 ${r.p95ms.toFixed(2)}  p99 ${r.p99ms.toFixed(2)} ms  errors ${r.errors + r.non2xx + r.timeouts}\n`,
  );
  return r;
}

interface Local {
  top_features: [string, number][];
  base_value: number;
  prediction: number;
}

async function compare(
  a: Service,
  b: Service,
  tickers: string[],
): Promise<{ maxAbsShap: number; maxAbsPrediction: number }> {
  let maxAbsShap = 0;
  let maxAbsPrediction = 0;
  for (const ticker of tickers) {
    const get = async (s: Service) =>
      (await (
        await fetch(`${s.url}/explain_local`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ticker, top_k: 1000 }),
        })
      ).json()) as Local;
    const [x, y] = await Promise.all([get(a), get(b)]);
    const ys = new Map(y.top_features);
    for (const [f, v] of x.top_features) maxAbsShap = Math.max(maxAbsShap, Math.abs(v - (ys.get(f) ?? NaN)));
    maxAbsShap = Math.max(maxAbsShap, Math.abs(x.base_value - y.base_value));
    maxAbsPrediction = Math.max(maxAbsPrediction, Math.abs(x.prediction - y.prediction));
  }
  return { maxAbsShap, maxAbsPrediction };
}

async function main(): Promise<void> {
  const services: Service[] = [];
  const results: PhaseResult[] = [];
  try {
    const maie = await startMaie("maie scorer", 50_000);
    services.push(maie);
    // GET /explain resolves once the panel's SHAP table is complete: start the load after it.
    await fetch(`${maie.url}/explain`);
    const baseline = await startBaseline();
    services.push(baseline);

    const all = (await (await fetch(`${maie.url}/score_expected`)).json()) as {
      alpha: Record<string, number>;
    };
    const tickers = Object.keys(all.alpha);
    const agreement = await compare(maie, baseline, tickers.slice(0, 50));
    process.stderr.write(
      `agreement over 50 tickers: max |Δshap| ${agreement.maxAbsShap.toExponential(2)}, max |Δprediction| ${agreement.maxAbsPrediction.toExponential(2)}\n`,
    );
    if (!(agreement.maxAbsShap < 1e-6 && agreement.maxAbsPrediction < 1e-6))
      throw new Error("the scorer and the baseline disagree; not benchmarking");

    const endpoints: Endpoint[] = [
      { name: "GET /score_expected", requests: [{ method: "GET", path: "/score_expected" }] },
      {
        name: "POST /explain_local",
        requests: tickers.slice(0, 200).map((t) => ({
          method: "POST" as const,
          path: "/explain_local",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ticker: t, top_k: 10 }),
        })),
      },
    ];
    for (const service of [maie, baseline])
      for (const endpoint of endpoints) {
        // warm-up (JIT, connection pools), not recorded
        await autocannon({ url: service.url, connections: 4, duration: 2, requests: endpoint.requests });
        results.push(await phase(service, endpoint, `${RATE} req/s`, 10, RATE));
        results.push(await phase(service, endpoint, "max", CONNECTIONS, null));
      }
    await stop(maie);
    // The compute path: no SHAP table, every /explain_local runs TreeSHAP for its row.
    const compute = await startMaie("maie scorer (cache off)", 0);
    services.push(compute);
    await autocannon({ url: compute.url, connections: 4, duration: 2, requests: endpoints[1]!.requests });
    results.push(await phase(compute, endpoints[1]!, `${RATE} req/s`, 10, RATE));
    results.push(await phase(compute, endpoints[1]!, "max", CONNECTIONS, null));

    const find = (service: string, endpoint: string, ph: string) =>
      results.find((r) => r.service === service && r.endpoint === endpoint && r.phase === ph)!;
    const ratios = endpoints.map((e) => {
      const ours = find(maie.name, e.name, "max");
      const theirs = find(baseline.name, e.name, "max");
      return { endpoint: e.name, throughputRatio: ours.reqPerSec / theirs.reqPerSec };
    });
    const computeRatio =
      find(compute.name, "POST /explain_local", "max").reqPerSec /
      find(baseline.name, "POST /explain_local", "max").reqPerSec;
    const atRate = find(maie.name, "POST /explain_local", `${RATE} req/s`);
    const errors = results
      .filter((r) => r.service !== baseline.name)
      .reduce((a, r) => a + r.errors + r.non2xx + r.timeouts, 0);
    const targets = {
      explainLocalP95Under10msAtRate: atRate.p95ms < 10,
      throughputAtLeast10x: ratios.every((r) => r.throughputRatio >= 10),
      zeroErrors: errors === 0,
    };

    const lines = [
      "",
      "| service | endpoint | load | req/s | p50 ms | p95 ms | p99 ms | errors |",
      "|---|---|---|---:|---:|---:|---:|---:|",
      ...results.map(
        (r) =>
          `| ${r.service} | ${r.endpoint} | ${r.phase === "max" ? `max, ${r.connections} conns` : r.phase} | ${r.reqPerSec.toFixed(0)} | ${r.p50ms.toFixed(2)} | ${r.p95ms.toFixed(2)} | ${r.p99ms.toFixed(2)} | ${r.errors + r.non2xx + r.timeouts} |`,
      ),
      "",
      ...ratios.map((r) => `throughput ratio ${r.endpoint}: ${r.throughputRatio.toFixed(1)}x the baseline`),
      `throughput ratio POST /explain_local, cache off (TreeSHAP per request): ${computeRatio.toFixed(1)}x the baseline`,
      `targets: p95 /explain_local < 10 ms at ${RATE} req/s: ${targets.explainLocalP95Under10msAtRate} (${atRate.p95ms.toFixed(2)} ms); ` +
        `>= 10x throughput: ${targets.throughputAtLeast10x}; zero errors (scorer): ${targets.zeroErrors}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version },
      settings: { durationSeconds: DURATION, rate: RATE, connections: CONNECTIONS, data: DATA },
      agreement,
      results,
      ratios,
      computeRatio,
      targets,
    };
    await writeFile(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`wrote ${opts.out}\n`);
  } finally {
    for (const s of services) await stop(s);
  }
}

await main();
