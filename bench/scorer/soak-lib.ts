import autocannon from "autocannon";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../tools/cluster/ports.js";

/**
 * The scorer soak (issue 9, point 3): a real `maie scorer` process under a
 * fixed-rate loopback load of mixed `/explain_local` and `/score_expected`
 * requests, a valid model swapped in by atomic rename half-way, a corrupt
 * model renamed in at three quarters, and the process RSS sampled every
 * second. Used by `bench/scorer/soak.ts` (the bounded command) and by the
 * unit test `test/unit/scorer/soak.test.ts` (a shorter run in CI).
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const CLI = resolve(ROOT, "dist/src/cli/main.js");

export interface SoakOptions {
  /** Data dir holding models/model.txt, expected/expected_latest.parquet and features_latest.parquet. */
  readonly dataDir: string;
  /** A second valid model file, renamed over models/model.txt half-way. */
  readonly swapModel: string;
  readonly rate: number;
  readonly seconds: number;
  /** RSS samples before this are warm-up and left out of the slope. */
  readonly warmupSeconds: number;
  readonly connections?: number;
  /** One line per event and every 5 s; stderr by default. */
  readonly progress?: (line: string) => void;
}

export interface RssSample {
  readonly t: number;
  readonly mib: number;
}

export interface SoakResult {
  readonly rate: number;
  readonly seconds: number;
  readonly requests: number;
  readonly byStatus: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** Error-class responses the scorer itself counted in maie_api_requests_total (4xx or 5xx). */
  readonly serverErrorCodes: Record<string, number>;
  readonly swap: {
    readonly before: string;
    readonly after: string | null;
    /** From the rename to /ready showing the new hash. */
    readonly observedAfterMs: number | null;
  };
  readonly corrupt: {
    readonly failuresBefore: number;
    readonly failuresAfter: number;
    readonly shaAfter: string | null;
  };
  readonly rss: {
    readonly samples: readonly RssSample[];
    readonly warmupSeconds: number;
    /** Least-squares slope of RSS over the samples after warm-up. */
    readonly slopeMiBPerMin: number;
    /** The same from 5 s after the swap to the end. */
    readonly slopeAfterSwapMiBPerMin: number;
    readonly swapAtSeconds: number;
    readonly firstAfterWarmupMiB: number;
    readonly lastMiB: number;
    readonly maxMiB: number;
  };
  readonly healthAfter: number;
  readonly alive: boolean;
}

/** Copies the sample prices and LightGBM model into `dir`, runs the pipeline once; returns the XGBoost sample model as the swap. */
export function prepareSampleData(dir: string): { dataDir: string; swapModel: string } {
  const samples = resolve(ROOT, "config/samples/data");
  mkdirSync(join(dir, "prices"), { recursive: true });
  mkdirSync(join(dir, "models"), { recursive: true });
  copyFileSync(join(samples, "prices.csv"), join(dir, "prices/prices.csv"));
  copyFileSync(join(samples, "models/lightgbm/model.txt"), join(dir, "models/model.txt"));
  const run = spawnSync(
    process.execPath,
    [CLI, "pipeline", "run", "--data-dir", dir, "--log-format", "text"],
    {
      encoding: "utf8",
    },
  );
  if (run.status !== 0) throw new Error(`pipeline run failed (${run.status}): ${run.stderr.trim()}`);
  return { dataDir: dir, swapModel: join(samples, "models/xgboost/model.xgb.json") };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of y over t (units of y per unit of t). */
export function slope(points: readonly { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

async function readyBody(url: string): Promise<{ status: number; sha: string | null }> {
  const res = await fetch(`${url}/ready`);
  const body = (await res.json()) as { model_sha256?: string | null };
  return { status: res.status, sha: body.model_sha256 ?? null };
}

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

function metric(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

/** Renames `bytes` over `target` through a temp file in the same directory, as a deploy tool would. */
function renameInto(target: string, bytes: Uint8Array | string): void {
  const tmp = join(dirname(target), `.soak-${process.pid}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, target);
}

export interface ScorerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts `maie scorer` on a free loopback port with extra flags; resolves once /ready is 200. */
export async function startScorerProcess(
  dataDir: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<ScorerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, "scorer", "--data-dir", dataDir, "--host", "127.0.0.1", "--port", String(port), ...args],
    // Poll often so a rename is seen quickly even where inotify is unreliable.
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, MAIE_LOG_LEVEL: "warn", MAIE_WATCH_POLL_MS: "500", ...env },
    },
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`scorer exited with ${child.exitCode} before it was ready`);
      try {
        if ((await readyBody(url)).status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, child, stop };
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.progress ?? ((l: string) => process.stderr.write(`${l}\n`));
  const scorer = await startScorerProcess(opts.dataDir);
  const { url, child } = scorer;
  try {
    // GET /explain resolves once the panel's SHAP table is complete.
    await fetch(`${url}/explain`);
    const panel = (await (await fetch(`${url}/score_expected`)).json()) as { alpha: Record<string, number> };
    const tickers = Object.keys(panel.alpha);
    const before = (await readyBody(url)).sha ?? "";
    log(
      `soak: scorer pid ${child.pid} ready on ${url}, ${tickers.length} tickers, model ${before.slice(0, 12)}`,
    );

    const json = { "content-type": "application/json" };
    const requests: autocannon.Request[] = tickers.flatMap((t, i) => [
      {
        method: "POST" as const,
        path: "/explain_local",
        headers: json,
        body: JSON.stringify({ ticker: t, top_k: 10 }),
      },
      i % 2 === 0
        ? { method: "GET" as const, path: "/score_expected" }
        : {
            method: "POST" as const,
            path: "/score_expected",
            headers: json,
            body: JSON.stringify({ tickers: tickers.slice(i, i + 5) }),
          },
    ]);

    const byStatus: Record<string, number> = {};
    const samples: RssSample[] = [];
    const start = Date.now();
    const pid = child.pid!;
    const sampler = setInterval(() => {
      const t = (Date.now() - start) / 1000;
      samples.push({ t, mib: rssMiB(pid) });
      if (samples.length % 5 === 0) {
        const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
        const bad = total - (byStatus["200"] ?? 0);
        log(
          `soak: t=${t.toFixed(0)}s requests ${total} non-200 ${bad} rss ${samples.at(-1)!.mib.toFixed(1)} MiB`,
        );
      }
    }, 1000);

    const modelPath = join(opts.dataDir, "models/model.txt");
    let after: string | null = null;
    let observedAfterMs: number | null = null;
    let swapAt = NaN;
    const swap = (async () => {
      await sleep((opts.seconds * 1000) / 2);
      const renamedAt = Date.now();
      swapAt = (renamedAt - start) / 1000;
      renameInto(modelPath, readFileSync(opts.swapModel));
      log(`soak: t=${((renamedAt - start) / 1000).toFixed(1)}s renamed a new valid model over ${modelPath}`);
      const deadline = renamedAt + (opts.seconds * 1000) / 4;
      while (Date.now() < deadline) {
        const sha = (await readyBody(url)).sha;
        if (sha !== null && sha !== before) {
          after = sha;
          observedAfterMs = Date.now() - renamedAt;
          break;
        }
        await sleep(50);
      }
      log(
        `soak: swap ${after === null ? "NOT observed" : `observed after ${observedAfterMs} ms, model ${after.slice(0, 12)}`}`,
      );
    })();
    let failuresBefore = 0;
    let failuresAfter = 0;
    let shaAfter: string | null = null;
    const corrupt = (async () => {
      await sleep((opts.seconds * 1000 * 3) / 4);
      failuresBefore = metric(await metricsText(url), "maie_model_reload_failures_total");
      const good = readFileSync(opts.swapModel);
      renameInto(modelPath, good.subarray(0, good.length >> 1));
      log(`soak: renamed a corrupt (truncated) model over ${modelPath}`);
      const deadline = Date.now() + (opts.seconds * 1000) / 5;
      while (Date.now() < deadline) {
        failuresAfter = metric(await metricsText(url), "maie_model_reload_failures_total");
        if (failuresAfter > failuresBefore) break;
        await sleep(50);
      }
      shaAfter = (await readyBody(url)).sha;
      log(
        `soak: corrupt model ${failuresAfter > failuresBefore ? "refused" : "NOT seen"}; serving ${shaAfter?.slice(0, 12)}`,
      );
    })();

    const result = await new Promise<autocannon.Result>((res, rej) => {
      const instance = autocannon(
        {
          url,
          connections: opts.connections ?? 16,
          duration: opts.seconds,
          overallRate: opts.rate,
          requests,
          timeout: 10,
        },
        (err: Error | null, r) => (err ? rej(err) : res(r)),
      );
      instance.on("response", (_c, status) => {
        byStatus[status] = (byStatus[status] ?? 0) + 1;
      });
    });
    await Promise.all([swap, corrupt]);
    clearInterval(sampler);

    const text = await metricsText(url);
    const serverErrorCodes: Record<string, number> = {};
    for (const m of text.matchAll(/^maie_api_requests_total\{([^}]*code="([45]\d\d)"[^}]*)\} (\d+)/gm))
      serverErrorCodes[`${m[2]} ${m[1]}`] = Number(m[3]);
    const healthAfter = (await fetch(`${url}/health`)).status;

    const steady = samples.filter((s) => s.t >= opts.warmupSeconds);
    // A swap steps RSS up once (a second WASM instance, a new SHAP table);
    // the slope after it settles says whether memory keeps growing.
    const afterSwap = samples.filter((s) => s.t >= swapAt + 5);
    const res: SoakResult = {
      rate: opts.rate,
      seconds: opts.seconds,
      requests: result.requests.total,
      byStatus,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      serverErrorCodes,
      swap: { before, after, observedAfterMs },
      corrupt: { failuresBefore, failuresAfter, shaAfter },
      rss: {
        samples,
        warmupSeconds: opts.warmupSeconds,
        slopeMiBPerMin: slope(steady.map((s) => ({ t: s.t, y: s.mib }))) * 60,
        slopeAfterSwapMiBPerMin: slope(afterSwap.map((s) => ({ t: s.t, y: s.mib }))) * 60,
        swapAtSeconds: swapAt,
        firstAfterWarmupMiB: steady[0]?.mib ?? NaN,
        lastMiB: samples.at(-1)?.mib ?? NaN,
        maxMiB: Math.max(...samples.map((s) => s.mib)),
      },
      healthAfter,
      alive: child.exitCode === null,
    };
    return res;
  } finally {
    await scorer.stop();
  }
}
