/**
 * Table budget sweep for docs/treeshap.md (Algorithm): our single-thread SHAP
 * throughput on the design §9 models at several `tableBudgetBytes`, with the
 * table coverage and the load time. Needs the models and rows of
 * `bash bench/treeshap/run.sh` (in $MAIE_CACHE/bench-treeshap).
 *
 *   node dist/bench/treeshap/budget.js [OUT_DIR] [rows]
 *
 * Times are process CPU time (best of 3), which shared machines disturb less
 * than wall time.
 */
import { readFileSync } from "node:fs";
import { homedir, loadavg } from "node:os";
import { join } from "node:path";
import { parseModel } from "../../src/models/load.js";
import { Explainer } from "../../src/treeshap/explainer.js";

const OUT =
  process.argv[2] ?? join(process.env["MAIE_CACHE"] ?? join(homedir(), ".cache", "maie"), "bench-treeshap");
const NF = 50;
const MIB = 1 << 20;
const BUDGETS = [0, 16 * MIB, 64 * MIB, 128 * MIB, 512 * MIB];
const MODELS = ["lgb_63leaves.txt", "xgb_depth6.json", "xgb_depth8.json"];

const bytes = readFileSync(join(OUT, "rows.f64"));
const all = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const n = Math.min(Number(process.argv[3] ?? 1000), all.length / NF);
const rows = all.subarray(0, n * NF);

function cpuSeconds(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

const lines = [
  `| model | table budget | leaves with a table | load (s) | rows/s, 1 thread |`,
  `| --- | ---: | ---: | ---: | ---: |`,
];
for (const file of MODELS) {
  const model = parseModel(readFileSync(join(OUT, file)), "auto");
  const leaves = model.left.filter((l) => l < 0).length;
  for (const budget of BUDGETS) {
    const t0 = performance.now();
    const e = await Explainer.load(model, { tableBudgetBytes: budget });
    const load = (performance.now() - t0) / 1000;
    e.shap(rows.subarray(0, 20 * NF), 20);
    let best = Infinity;
    for (let k = 0; k < 3; k++)
      best = Math.min(
        best,
        cpuSeconds(() => e.shap(rows, n)),
      );
    lines.push(
      `| ${file} | ${budget / MIB} MiB | ${e.tableLeaves.toLocaleString("en-US")} of ${leaves.toLocaleString("en-US")} | ${load.toFixed(2)} | ${Math.round(n / best).toLocaleString("en-US")} |`,
    );
    e.dispose();
  }
}
console.log(
  `${n} rows; load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")}\n\n${lines.join("\n")}`,
);
