/**
 * Pipeline benchmark (design §9): 5,000 tickers × 60 features, full batch SHAP
 * and the HTML report, wall time and peak RSS.
 *
 *   node dist/bench/pipeline/run.js [--tickers 5000] [--days 300] [--trees 300] [--leaves 31] [--runs 3]
 *
 * 1. synthetic wide price CSV (seeded, like tools/sample/make_prices.py);
 * 2. the 60-feature set (bench/pipeline/features60.ts) over 40 dates of 1,000
 *    tickers with a 21-day forward return → LightGBM trained in Python
 *    (tools/sample/python-env.sh) with --trees × --leaves;
 * 3. `--runs` pipeline runs, each in a fresh process (run-child.ts): wall time
 *    and CPU time of runPipeline and the process's peak RSS (getrusage maxrss).
 *    On a shared machine wall time includes waiting for a core; CPU time does not.
 * 4. peer: LightGBM `pred_contrib` (single thread, best of 3) on the same rows,
 *    read back from expected/features_latest.parquet; the SHAP step's ratio to
 *    it, in wall time and in CPU time (the fair one when the machine is shared).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { computeFeatures } from "../../src/features/index.js";
import type { PricePanel } from "../../src/prices/index.js";
import { FEATURES_60 } from "./features60.js";
import { median } from "../median.js";

const { values } = parseArgs({
  options: {
    tickers: { type: "string", default: "5000" },
    days: { type: "string", default: "300" },
    trees: { type: "string", default: "300" },
    leaves: { type: "string", default: "31" },
    runs: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
  },
});
const nT = Number(values.tickers);
const nD = Number(values.days);
const runs = Number(values.runs);

// Seeded PRNG (mulberry32) and Box-Muller normals.
let seed = 12345;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

function syntheticPanel(): PricePanel {
  const dates: string[] = [];
  for (let d = new Date("2026-11-27T00:00:00Z"); dates.length < nD; d = new Date(d.getTime() - 86_400_000))
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) dates.unshift(d.toISOString().slice(0, 10));
  const tickers = Array.from({ length: nT }, (_, i) => `T${String(i).padStart(5, "0")}`);
  const closes = new Float64Array(nT * nD);
  const phi = Math.pow(0.5, 1 / 63);
  for (let t = 0; t < nT; t++) {
    let q = normal();
    let logp = Math.log(20 + 180 * rand());
    for (let d = 0; d < nD; d++) {
      q = phi * q + Math.sqrt(1 - phi * phi) * normal();
      logp += 0.003 * q + 0.015 * normal();
      closes[t * nD + d] = Math.round(Math.exp(logp) * 1e4) / 1e4;
    }
  }
  return { dates, tickers, closes };
}

function wideCsv(p: PricePanel): string {
  const lines = [["date", ...p.tickers].join(",")];
  for (let d = 0; d < p.dates.length; d++) {
    const row = [p.dates[d]!];
    for (let t = 0; t < p.tickers.length; t++) row.push(String(p.closes[t * p.dates.length + d]));
    lines.push(row.join(","));
  }
  return lines.join("\n") + "\n";
}

const work = mkdtempSync(join(tmpdir(), "maie-bench-pipeline-"));
try {
  const panel = syntheticPanel();
  const dataDir = join(work, "data");
  mkdirSync(join(dataDir, "prices"), { recursive: true });
  mkdirSync(join(dataDir, "models"), { recursive: true });
  writeFileSync(join(dataDir, "prices", "prices.csv"), wideCsv(panel));

  // Training rows: 1,000 tickers × 40 dates of the 60 features, target = 21-day forward return.
  const trainTickers = Math.min(1000, nT);
  const names = FEATURES_60.map((f) => f.name);
  const lines = [[...names, "target"].join(",")];
  for (let d = nD - 62; d < nD - 22; d++) {
    const m = computeFeatures(panel, d, FEATURES_60);
    for (let t = 0; t < trainTickers; t++) {
      const row = Array.from(m.values.subarray(t * 60, (t + 1) * 60), (v) =>
        Number.isFinite(v) ? String(v) : "",
      );
      row.push(String(panel.closes[t * nD + d + 21]! / panel.closes[t * nD + d]! - 1));
      lines.push(row.join(","));
    }
  }
  writeFileSync(join(work, "train.csv"), lines.join("\n") + "\n");
  const py = execFileSync("bash", ["tools/sample/python-env.sh"], { encoding: "utf8" }).trim();
  const script = `
import sys, lightgbm as lgb, pandas as pd
df = pd.read_csv(sys.argv[1])
y = df.pop("target")
b = lgb.train({"objective": "regression", "num_leaves": int(sys.argv[4]), "learning_rate": 0.05,
               "min_data_in_leaf": 20, "num_threads": 1, "seed": 1, "deterministic": True, "verbose": -1},
              lgb.Dataset(df, y), num_boost_round=int(sys.argv[3]))
b.save_model(sys.argv[2])
`;
  execFileSync(
    py,
    [
      "-c",
      script,
      join(work, "train.csv"),
      join(dataDir, "models", "model.txt"),
      values.trees,
      values.leaves,
    ],
    {
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  process.stderr.write(
    `bench: ${nT} tickers × ${nD} days, 60 features, LightGBM ${values.trees} trees × ${values.leaves} leaves\n`,
  );

  const results: {
    wallMs: number;
    cpuMs: number;
    shapCpuMs: number;
    maxRssMiB: number;
    stepsMs: Record<string, number>;
  }[] = [];
  for (let r = 0; r < runs; r++) {
    const child = spawnSync(process.execPath, ["dist/bench/pipeline/run-child.js", dataDir], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (child.status !== 0) throw new Error(`pipeline run failed (${child.status ?? child.signal})`);
    results.push(JSON.parse(child.stdout) as (typeof results)[number]);
  }
  // Peer: LightGBM's own pred_contrib, single thread, on the same 5,000 rows (read back with pandas).
  const peerScript = `
import json, sys, time, lightgbm as lgb, pandas as pd
b = lgb.Booster(model_file=sys.argv[1])
X = pd.read_parquet(sys.argv[2])[b.feature_name()].to_numpy()
best, best_cpu = None, None
for _ in range(3):
    t, c = time.perf_counter(), time.process_time()
    b.predict(X, pred_contrib=True, num_threads=1)
    d, dc = time.perf_counter() - t, time.process_time() - c
    best = d if best is None else min(best, d)
    best_cpu = dc if best_cpu is None else min(best_cpu, dc)
print(json.dumps({"rows": len(X), "ms": round(best * 1000), "cpuMs": round(best_cpu * 1000)}))
`;
  const peer = JSON.parse(
    execFileSync(
      py,
      [
        "-c",
        peerScript,
        join(dataDir, "models", "model.txt"),
        join(dataDir, "expected", "features_latest.parquet"),
      ],
      { encoding: "utf8" },
    ),
  ) as { rows: number; ms: number; cpuMs: number };
  const out = {
    tickers: nT,
    days: nD,
    features: 60,
    model: `lightgbm ${values.trees} trees x ${values.leaves} leaves`,
    runs,
    wallMsMedian: median(results.map((r) => r.wallMs)),
    wallMs: results.map((r) => r.wallMs),
    cpuMs: results.map((r) => r.cpuMs),
    maxRssMiBMax: Math.max(...results.map((r) => r.maxRssMiB)),
    stepsMsMedianRun: results.map((r) => r.stepsMs)[
      results.findIndex((r) => r.wallMs === median(results.map((x) => x.wallMs)))
    ],
    shapMsMedian: median(results.map((r) => r.stepsMs["shap"]!)),
    shapCpuMsMedian: median(results.map((r) => r.shapCpuMs)),
    peerLightgbmPredContribMs: peer.ms,
    peerLightgbmPredContribCpuMs: peer.cpuMs,
    shapVsLightgbmWall: Math.round((median(results.map((r) => r.stepsMs["shap"]!)) / peer.ms) * 100) / 100,
    shapVsLightgbmCpu: Math.round((median(results.map((r) => r.shapCpuMs)) / peer.cpuMs) * 100) / 100,
    node: process.version,
  };
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
} finally {
  if (values.keep) process.stderr.write(`bench: kept ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}
