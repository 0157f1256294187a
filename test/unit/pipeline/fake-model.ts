import type { ExplainableModel } from "../../../src/treeshap/model.js";

/**
 * A linear stand-in for a tree model: prediction = bias + Σ w·x (NaN counts
 * as 0), SHAP of feature f = w_f·x_f, bias last. Exact local accuracy, so the
 * pipeline's bookkeeping can be checked without the WASM core.
 */
export function linearModel(featureNames: readonly string[], bias = 0.001): ExplainableModel {
  const nF = featureNames.length;
  const w = Float64Array.from(featureNames, (_, f) => ((f % 5) - 2) * 0.01);
  const contrib = (rows: Float64Array, r: number, f: number) => {
    const x = rows[r * nF + f]!;
    return Number.isNaN(x) ? 0 : w[f]! * x;
  };
  return {
    format: "linear-test",
    featureNames,
    numOutputs: 1,
    numTrees: 0,
    expectedValue: Float64Array.of(bias),
    predict(rows, nRows) {
      const out = new Float64Array(nRows);
      for (let r = 0; r < nRows; r++) {
        let s = bias;
        for (let f = 0; f < nF; f++) s += contrib(rows, r, f);
        out[r] = s;
      }
      return out;
    },
    shap(rows, nRows) {
      const out = new Float64Array(nRows * (nF + 1));
      for (let r = 0; r < nRows; r++) {
        for (let f = 0; f < nF; f++) out[r * (nF + 1) + f] = contrib(rows, r, f);
        out[r * (nF + 1) + nF] = bias;
      }
      return out;
    },
    importance(type) {
      return Object.fromEntries(featureNames.map((f, j) => [f, type === "gain" ? Math.abs(w[j]!) : 1]));
    },
    dispose() {},
  };
}
