/**
 * design §9 TreeSHAP throughput: ours (WASM, one thread and worker threads on
 * every core) against the single-threaded peers timed by peers.py on the same rows.
 *
 *   node dist/bench/treeshap/bench.js OUT_DIR
 *
 * Reads OUT_DIR/peer_<id>.json and <model>.<id>.f64 (peers.py). The run marked
 * `reference` (the native library at its current version) is what every
 * implementation's error is measured against; a peer is correct when all its
 * values are within the design §8 tolerance of it (src/treeshap/tolerance.ts).
 * Prints a Markdown table per model (every implementation with its version and
 * algorithm, rows/s, max abs error, ours ÷ it), then ours against the fastest
 * correct peer of each model. Rows/s are given in CPU time (what the one
 * thread spent: the development machine is shared, and other jobs stretch
 * wall time unevenly between implementations timed minutes apart) and in wall
 * time; ratios use CPU time. Exits non-zero when our values are not within
 * tolerance, or a model has no reference.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { parseModel } from "../../src/models/load.js";
import { Explainer } from "../../src/treeshap/explainer.js";
import { withinTolerance, type NativeLibrary } from "../../src/treeshap/tolerance.js";

const OUT = process.argv[2] ?? "bench-out";
const NF = 50;
const REPEATS = 3;
interface BenchModel {
  readonly name: string;
  readonly file: string;
  readonly label: string;
  readonly library: NativeLibrary;
}
const MODELS: readonly BenchModel[] = [
  {
    name: "lgb_63leaves",
    file: "lgb_63leaves.txt",
    label: "LightGBM 500 trees × 63 leaves",
    library: "lightgbm",
  },
  { name: "xgb_depth6", file: "xgb_depth6.json", label: "XGBoost 500 trees, depth 6", library: "xgboost" },
  { name: "xgb_depth8", file: "xgb_depth8.json", label: "XGBoost 500 trees, depth 8", library: "xgboost" },
];

/** One model's entry in peer_<id>.json (bench/treeshap/peers.py). */
interface PeerEntry {
  readonly peer: string;
  readonly version: string;
  readonly algorithm: string;
  readonly reference: boolean;
  readonly rows?: number;
  readonly rows_per_s?: number;
  readonly cpu_rows_per_s?: number;
  readonly columns?: number;
  readonly error?: string;
}

interface Measured {
  readonly implementation: string;
  readonly version: string;
  readonly algorithm: string;
  /** Rows per CPU-second (undefined across threads) and per wall second; undefined if it did not run. */
  readonly rate: Rate | undefined;
  /** Max abs error against the reference, or why there is none. */
  readonly error: number | string;
  readonly correct: boolean;
}

interface Rate {
  readonly cpu: number | undefined;
  readonly wall: number;
}

/** Best of REPEATS calls, as rows/s in CPU and wall time, and the last result. */
function timed<T>(nRows: number, fn: () => T): { readonly rate: Rate; readonly result: T } {
  let wall = Infinity;
  let cpu = Infinity;
  let result: T | undefined;
  for (let rep = 0; rep < REPEATS; rep++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    result = fn();
    const used = process.cpuUsage(c0);
    wall = Math.min(wall, (performance.now() - t0) / 1000);
    cpu = Math.min(cpu, (used.user + used.system) / 1e6);
  }
  return { rate: { cpu: nRows / cpu, wall: nRows / wall }, result: result! };
}

function f64File(path: string): Float64Array {
  const b = readFileSync(path);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Max abs error and whether every value is within tolerance, over the first `cols` columns of each row. */
function compare(
  library: NativeLibrary,
  values: Float64Array,
  width: number,
  reference: Float64Array,
  cols: number,
): { readonly worst: number; readonly correct: boolean } {
  let worst = 0;
  let correct = true;
  const n = reference.length / (NF + 1);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < cols; j++) {
      const ours = values[r * width + j]!;
      const ref = reference[r * (NF + 1) + j]!;
      worst = Math.max(worst, Math.abs(ours - ref));
      if (!withinTolerance(library, ours, ref)) correct = false;
    }
  }
  return { worst, correct };
}

async function timeWorkers(
  modelPath: string,
  rows: Float64Array,
  n: number,
  threads: number,
): Promise<number> {
  const shared = new Float64Array(new SharedArrayBuffer(rows.byteLength));
  shared.set(rows);
  const workers = Array.from(
    { length: threads },
    () =>
      new Worker(new URL("./worker.js", import.meta.url), {
        workerData: { modelPath, rows: shared, nf: NF },
      }),
  );
  const call = (w: Worker, msg: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
      w.postMessage(msg);
    });
  await Promise.all(workers.map((w) => call(w, { warm: true })));
  let best = Infinity;
  for (let rep = 0; rep < REPEATS; rep++) {
    const per = Math.ceil(n / threads);
    const t0 = performance.now();
    await Promise.all(workers.map((w, k) => call(w, { start: k * per, end: Math.min(n, (k + 1) * per) })));
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  await Promise.all(workers.map((w) => w.terminate()));
  return best;
}

function readPeers(): Map<string, Record<string, PeerEntry>> {
  const ids = readdirSync(OUT)
    .filter((f) => f.startsWith("peer_") && f.endsWith(".json"))
    .map((f) => f.slice("peer_".length, -".json".length))
    .sort();
  return new Map(
    ids.map((id) => [
      id,
      JSON.parse(readFileSync(join(OUT, `peer_${id}.json`), "utf8")) as Record<string, PeerEntry>,
    ]),
  );
}

const fmt = (v: number): string => Math.round(v).toLocaleString("en-US");
const fmtErr = (e: number | string): string => (typeof e === "number" ? e.toExponential(1) : e);

const rows = f64File(join(OUT, "rows.f64"));
const n = rows.length / NF;
const peers = readPeers();
const threads = availableParallelism();
const load = loadavg().map((v) => v.toFixed(2));
const sections: string[] = [];
const summary = [
  `| model | ours, 1 thread (rows/s, CPU time) | fastest correct peer | its rows/s (CPU time) | ours ÷ it (CPU time) | ours ÷ it (wall) |`,
  `| --- | ---: | --- | ---: | ---: | ---: |`,
];
let failed = false;

for (const m of MODELS) {
  const entries = [...peers].flatMap(([id, byModel]) =>
    byModel[m.name] ? [[id, byModel[m.name]!] as const] : [],
  );
  const ref = entries.find(([, e]) => e.reference && e.error === undefined);
  if (ref === undefined) {
    console.error(
      `bench: no reference SHAP values for ${m.name} (peers.py --reference did not run or failed)`,
    );
    failed = true;
    continue;
  }
  const [refId, refEntry] = ref;
  const reference = f64File(join(OUT, `${m.name}.${refId}.f64`));
  const refLabel = `${refEntry.peer} ${refEntry.version}`;

  const modelPath = join(OUT, m.file);
  const model = parseModel(readFileSync(modelPath), "auto");
  const explainer = await Explainer.load(model);
  explainer.shap(rows.subarray(0, 20 * NF), 20);
  const { rate: oursRate, result: phi } = timed(n, () => explainer.shap(rows, n));
  const leaves = model.left.filter((l) => l < 0).length;
  const oursAlgorithm = `FastTreeSHAP-v2-style per-leaf tables, kept for ${fmt(explainer.tableLeaves)} of ${fmt(leaves)} leaves (64 MiB budget); the others get a table per block of rows, or the direct O(d²) path`;
  explainer.dispose();
  const ours = oursRate.cpu!;
  const oursCheck = compare(m.library, phi, NF + 1, reference, NF + 1);
  if (!oursCheck.correct) {
    console.error(`bench: ours is NOT within the design §8 tolerance of ${refLabel} on ${m.name}`);
    failed = true;
  }
  const measured: Measured[] = [
    {
      implementation: "**ours, WASM, 1 thread**",
      version: "this tree",
      algorithm: oursAlgorithm,
      rate: oursRate,
      error: oursCheck.worst,
      correct: oursCheck.correct,
    },
  ];

  // The classic O(T·L·D²) recursion, on a subset (it is the slow one), to show what the algorithm buys.
  const classic = await Explainer.load(model, { algorithm: "classic" });
  const nc = Math.min(n, 200);
  classic.shap(rows.subarray(0, 5 * NF), 5);
  const { rate: classicRate, result: phiClassic } = timed(nc, () =>
    classic.shap(rows.subarray(0, nc * NF), nc),
  );
  classic.dispose();
  const classicCheck = compare(m.library, phiClassic, NF + 1, reference.subarray(0, nc * (NF + 1)), NF + 1);
  measured.push({
    implementation: `ours, WASM, classic algorithm, 1 thread (${nc} rows)`,
    version: "this tree",
    algorithm: "path-dependent TreeSHAP, Lundberg's recursion, O(TLD²)",
    rate: classicRate,
    error: classicCheck.worst,
    correct: classicCheck.correct,
  });
  measured.push({
    implementation: `ours, WASM, ${threads} worker threads`,
    version: "this tree",
    algorithm: "same as 1 thread, rows split across threads",
    rate: { cpu: undefined, wall: n / (await timeWorkers(modelPath, rows, n, threads)) },
    error: "same values",
    correct: oursCheck.correct,
  });

  let fastest: { readonly label: string; readonly rate: Rate } | undefined;
  for (const [id, e] of entries) {
    const label = `${e.peer}, 1 thread`;
    if (
      e.error !== undefined ||
      e.rows_per_s === undefined ||
      e.cpu_rows_per_s === undefined ||
      e.columns === undefined
    ) {
      measured.push({
        implementation: label,
        version: e.version,
        algorithm: e.algorithm,
        rate: undefined,
        error: `did not run: ${e.error ?? "no result"}`,
        correct: false,
      });
      continue;
    }
    const check =
      id === refId
        ? { worst: 0, correct: true }
        : compare(
            m.library,
            f64File(join(OUT, `${m.name}.${id}.f64`)),
            e.columns,
            reference,
            Math.min(e.columns, NF + 1),
          );
    measured.push({
      implementation: label,
      version: e.version,
      algorithm: e.algorithm,
      rate: { cpu: e.cpu_rows_per_s, wall: e.rows_per_s },
      error: id === refId ? "0 (reference)" : check.worst,
      correct: check.correct,
    });
    if (check.correct && (fastest === undefined || e.cpu_rows_per_s > fastest.rate.cpu!))
      fastest = { label: `${e.peer} ${e.version}`, rate: { cpu: e.cpu_rows_per_s, wall: e.rows_per_s } };
  }

  const ratio = (r: Rate): string =>
    r.cpu !== undefined ? `${(ours / r.cpu).toFixed(2)}×` : `${(oursRate.wall / r.wall).toFixed(2)}× (wall)`;
  const lines = [
    `**${m.label}** (reference: ${refLabel})`,
    ``,
    `| implementation | version | algorithm | rows/s (CPU time) | rows/s (wall) | max abs err vs reference | within design §8 tolerance | ours (1 thread) ÷ it |`,
    `| --- | --- | --- | ---: | ---: | ---: | --- | ---: |`,
    ...measured.map((r) =>
      r.rate === undefined
        ? `| ${r.implementation} | ${r.version} | ${r.algorithm} | — | — | ${fmtErr(r.error)} | — | — |`
        : `| ${r.implementation} | ${r.version} | ${r.algorithm} | ${r.rate.cpu === undefined ? "—" : fmt(r.rate.cpu)} | ${fmt(r.rate.wall)} | ${fmtErr(r.error)} | ${r.correct ? "yes" : "**no**"} | ${ratio(r.rate)} |`,
    ),
  ];
  sections.push(lines.join("\n"));
  summary.push(
    fastest === undefined
      ? `| ${m.label} | ${fmt(ours)} | no correct peer ran | — | — | — |`
      : `| ${m.label} | ${fmt(ours)} | ${fastest.label} | ${fmt(fastest.rate.cpu!)} | **${(ours / fastest.rate.cpu!).toFixed(2)}×** | ${(oursRate.wall / fastest.rate.wall).toFixed(2)}× |`,
  );
}

const table = [
  `${n} rows, ${NF} features; best of ${REPEATS} passes; ${new Date().toISOString()}; load average ${load.join(" ")} (at the end of the run)`,
  ...sections,
  `Ours (one thread) against the fastest correct single-threaded peer:`,
  summary.join("\n"),
].join("\n\n");
console.log(`\n${table}`);
writeFileSync(join(OUT, "table.md"), `${table}\n`);
if (failed) process.exit(1);
