/** Worker for bench.ts: one Explainer per thread over a shared row matrix. */
import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { parseModel } from "../../src/models/load.js";
import { Explainer } from "../../src/treeshap/explainer.js";

interface Data {
  readonly modelPath: string;
  readonly rows: Float64Array;
  readonly nf: number;
}
const data = workerData as Data;
const explainer = await Explainer.load(parseModel(readFileSync(data.modelPath), "auto"));

parentPort!.on("message", (msg: { warm?: boolean; start?: number; end?: number }) => {
  if (msg.warm) {
    explainer.shap(data.rows.subarray(0, 10 * data.nf), 10);
  } else {
    const start = msg.start!;
    const end = msg.end!;
    explainer.shap(data.rows.subarray(start * data.nf, end * data.nf), end - start);
  }
  parentPort!.postMessage("done");
});
