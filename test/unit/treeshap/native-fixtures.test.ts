import { parseModel } from "../../../src/models/load.js";
import { Explainer, type ExplainerOptions } from "../../../src/treeshap/explainer.js";
import { fixtureBytes, fixtureNames, readFixture, rowMatrix, withinTolerance } from "./fixtures.js";

interface Mismatch {
  readonly index: number;
  readonly ours: number;
  readonly native: number;
}

function mismatches(
  format: "lightgbm" | "xgboost",
  ours: Float64Array,
  native: readonly number[],
): Mismatch[] {
  const bad: Mismatch[] = [];
  native.forEach((v, index) => {
    if (!withinTolerance(format, ours[index]!, v)) bad.push({ index, ours: ours[index]!, native: v });
  });
  return bad.slice(0, 5);
}

const names = fixtureNames();

test("the fixture matrix is present (LightGBM and XGBoost, both with many cases)", () => {
  expect(names.filter((n) => n.startsWith("lgb_")).length).toBeGreaterThanOrEqual(10);
  expect(names.filter((n) => n.startsWith("xgb_")).length).toBeGreaterThanOrEqual(12);
});

/** Precomputed tables, the classic recursion, and tables under a tiny budget (most leaves evaluated directly). */
const ALGORITHMS: readonly [string, ExplainerOptions][] = [
  ["fast", { algorithm: "fast" }],
  ["classic", { algorithm: "classic" }],
  ["fast, 4 KiB table budget", { algorithm: "fast", tableBudgetBytes: 4096 }],
];
const cases = names.flatMap((name) => ALGORITHMS.map(([label, options]) => [name, label, options] as const));

describe.each(cases)("native fixture %s (%s)", (name, _label, options) => {
  const fx = readFixture(name);
  const model = parseModel(fixtureBytes(fx.model), "auto");
  const rows = rowMatrix(fx.rows);
  const n = fx.rows.length;
  let explainer: Explainer;

  beforeAll(async () => {
    explainer = await Explainer.load(model, options);
  });
  afterAll(() => explainer.dispose());

  test("parses to the fixture's format, feature count and outputs", () => {
    expect(model.format).toBe(fx.format);
    expect(model.numFeatures).toBe(fx.numFeatures);
    expect(model.numOutputs).toBe(fx.numOutputs);
  });

  test("raw-margin predictions match the native library", () => {
    expect(mismatches(fx.format, explainer.predict(rows, n), fx.margin)).toEqual([]);
  });

  test("SHAP values (bias last) match the native library within design §8 tolerance", () => {
    expect(mismatches(fx.format, explainer.shap(rows, n), fx.shap)).toEqual([]);
  });

  test("bias + Σ shap equals our prediction to 1e-9 relative", () => {
    const pred = explainer.predict(rows, n);
    const shap = explainer.shap(rows, n);
    const w = fx.numFeatures + 1;
    for (let i = 0; i < n * fx.numOutputs; i++) {
      let sum = 0;
      for (let j = 0; j < w; j++) sum += shap[i * w + j]!;
      expect(Math.abs(sum - pred[i]!)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(pred[i]!)));
    }
  });
});
