/**
 * One measured pipeline run in its own process, so its peak RSS is the
 * pipeline's alone: `node run-child.js <dataDir>`; prints one JSON line.
 */
import { runPipeline } from "../../src/pipeline/run.js";
import { loadExplainableModel } from "../../src/treeshap/model.js";
import { FEATURES_60 } from "./features60.js";

const dataDir = process.argv[2]!;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let shapCpuMs = 0;
const summary = await runPipeline({
  dataDir,
  // The SHAP call's own CPU time, comparable with the peer's on a busy machine.
  async loadModel(bytes, format) {
    const m = await loadExplainableModel(bytes, format);
    return {
      ...m,
      shap(rows, n) {
        const c0 = process.cpuUsage();
        const out = m.shap(rows, n);
        const c = process.cpuUsage(c0);
        shapCpuMs = (c.user + c.system) / 1000;
        return out;
      },
    };
  },
  features: FEATURES_60,
  progress: (l) => process.stderr.write(`  ${l}\n`),
});
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  JSON.stringify({
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    shapCpuMs: Math.round(shapCpuMs),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    scored: summary.scored,
    stepsMs: summary.stepsMs,
  }) + "\n",
);
