/**
 * design §9 TreeSHAP throughput: ours (WASM, one thread and worker threads on
 * every core) against the native peers timed by peers.py on the same rows.
 *
 *   node dist/bench/treeshap/bench.js OUT_DIR
 *
 * Prints a Markdown table: rows/s, ours ÷ peer, and max abs error against the
 * native library's own SHAP output (LightGBM pred_contrib, XGBoost pred_contribs).
 */
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { parseModel } from "../../src/models/load.js";
import { Explainer } from "../../src/treeshap/explainer.js";

const OUT = process.argv[2] ?? "bench-out";
const NF = 50;
const REPEATS = 2;
const MODELS: readonly { readonly name: string; readonly file: string; readonly label: string }[] = [
  { name: "lgb_63leaves", file: "lgb_63leaves.txt", label: "LightGBM 500 trees × 63 leaves" },
  { name: "xgb_depth6", file: "xgb_depth6.json", label: "XGBoost 500 trees, depth 6" },
  { name: "xgb_depth8", file: "xgb_depth8.json", label: "XGBoost 500 trees, depth 8" },
];
const PEERS = ["native", "shap", "fasttreeshap"] as const;
const PEER_LABEL: Record<string, (model: string) => string> = {
  native: (m) => (m.startsWith("lgb") ? "LightGBM pred_contrib" : "XGBoost pred_contribs"),
  shap: () => "shap.TreeExplainer",
  fasttreeshap: () => "fasttreeshap v2",
};

interface PeerResult {
  readonly rows?: number;
  readonly seconds?: number;
  readonly rows_per_s?: number;
  readonly error?: string;
}

function f64File(path: string): Float64Array {
  const b = readFileSync(path);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function maxAbsError(ours: Float64Array, native: Float64Array, width: number, cols: number): number {
  let worst = 0;
  const n = native.length / cols;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < cols; j++)
      worst = Math.max(worst, Math.abs(ours[r * width + j]! - native[r * cols + j]!));
  }
  return worst;
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

const rows = f64File(join(OUT, "rows.f64"));
const n = rows.length / NF;
const peers: Record<string, Record<string, PeerResult>> = {};
for (const p of PEERS) {
  const file = join(OUT, `peer_${p}.json`);
  peers[p] = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, PeerResult>) : {};
}

const threads = availableParallelism();
const lines = [
  `| model | implementation | rows/s | ours (1 thread) ÷ it | max abs err vs native |`,
  `| --- | --- | ---: | ---: | ---: |`,
];
for (const m of MODELS) {
  const modelPath = join(OUT, m.file);
  const model = parseModel(readFileSync(modelPath), "auto");
  const explainer = await Explainer.load(model);
  explainer.shap(rows.subarray(0, 20 * NF), 20);
  let best = Infinity;
  let phi: Float64Array = new Float64Array(0);
  for (let rep = 0; rep < REPEATS; rep++) {
    const t0 = performance.now();
    phi = explainer.shap(rows, n);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  const ours = n / best;
  const native = f64File(join(OUT, `${m.name}.native.f64`));
  const err = maxAbsError(phi, native, NF + 1, NF + 1);
  const fmt = (v: number): string => Math.round(v).toLocaleString("en-US");
  lines.push(
    `| ${m.label} | **ours, WASM, 1 thread** | **${fmt(ours)}** | 1.00× | ${err.toExponential(1)} |`,
  );
  // The classic O(T·L·D²) recursion, on a subset (it is the slow one), to show the algorithm choice.
  const classic = await Explainer.load(model, { algorithm: "classic" });
  const nc = Math.min(n, 200);
  classic.shap(rows.subarray(0, 5 * NF), 5);
  const tc = performance.now();
  const phiClassic = classic.shap(rows.subarray(0, nc * NF), nc);
  const classicRate = nc / ((performance.now() - tc) / 1000);
  const classicErr = maxAbsError(phiClassic, native.subarray(0, nc * (NF + 1)), NF + 1, NF + 1);
  classic.dispose();
  lines.push(
    `| | ours, WASM, classic algorithm, 1 thread (${nc} rows) | ${fmt(classicRate)} | ${(ours / classicRate).toFixed(2)}× | ${classicErr.toExponential(1)} |`,
  );
  const multi = n / (await timeWorkers(modelPath, rows, n, threads));
  lines.push(
    `| | ours, WASM, ${threads} worker threads | ${fmt(multi)} | ${(ours / multi).toFixed(2)}× | same values |`,
  );
  for (const p of PEERS) {
    const r = peers[p]![m.name];
    if (r === undefined) continue;
    if (r.error !== undefined || r.rows_per_s === undefined) {
      lines.push(`| | ${PEER_LABEL[p]!(m.name)}, 1 thread | did not run: ${r.error ?? "no result"} | | |`);
      continue;
    }
    const peerFile = join(OUT, `${m.name}.${p}.f64`);
    let peerErr = "0 (reference)";
    if (p !== "native" && existsSync(peerFile)) {
      // shap/fasttreeshap give features only (no bias column).
      const other = f64File(peerFile);
      let worst = 0;
      for (let r2 = 0; r2 < n; r2++) {
        for (let j = 0; j < NF; j++)
          worst = Math.max(worst, Math.abs(other[r2 * NF + j]! - native[r2 * (NF + 1) + j]!));
      }
      peerErr = worst.toExponential(1);
    }
    lines.push(
      `| | ${PEER_LABEL[p]!(m.name)}, 1 thread | ${fmt(r.rows_per_s)} | ${(ours / r.rows_per_s).toFixed(2)}× | ${peerErr} |`,
    );
  }
  explainer.dispose();
}
const table = lines.join("\n");
console.log(
  `\n${n} rows, ${NF} features; best of ${REPEATS} passes; ${new Date().toISOString()}\n\n${table}`,
);
writeFileSync(join(OUT, "table.md"), `${table}\n`);
