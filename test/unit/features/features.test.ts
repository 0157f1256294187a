import { readFileSync } from "node:fs";
import {
  computeFeatures,
  computeFeaturesForAllDates,
  crossSectionalRank,
  crossSectionalZscore,
  FEATURE_NAMES_V1,
  FEATURE_SET_VERSION,
  FeatureSkewError,
  MAX_LOOKBACK_V1,
  panelFromCloseArrays,
  selectFeatures,
  type PricePanel,
} from "../../../src/features/index.js";

function geometricPanel(nDates: number, growth: readonly number[]): PricePanel {
  const tickers = growth.map((_, i) => `T${i}`);
  const closes = new Float64Array(tickers.length * nDates);
  growth.forEach((g, t) => {
    for (let d = 0; d < nDates; d++) closes[t * nDates + d] = 100 * Math.pow(1 + g, d);
  });
  const dates = Array.from({ length: nDates }, (_, d) =>
    new Date(Date.UTC(2025, 0, 1 + d)).toISOString().slice(0, 10),
  );
  return { dates, tickers, closes };
}

const col = (name: string) => FEATURE_NAMES_V1.indexOf(name);

describe("feature set v1", () => {
  test("is versioned and needs one year of closes", () => {
    expect(FEATURE_SET_VERSION).toBe("v1");
    expect(MAX_LOOKBACK_V1).toBe(253);
    expect(new Set(FEATURE_NAMES_V1).size).toBe(FEATURE_NAMES_V1.length);
  });

  test("constant growth gives exact returns, zero volatility, RSI 100 and no drawdown", () => {
    const m = computeFeatures(geometricPanel(300, [0.01, -0.01, 0]));
    const nF = m.featureNames.length;
    const at = (row: number, name: string) => m.values[row * nF + col(name)]!;
    expect(at(0, "ret_1d")).toBeCloseTo(0.01, 12);
    expect(at(0, "ret_21d")).toBeCloseTo(Math.pow(1.01, 21) - 1, 10);
    expect(at(0, "mom_12_1")).toBeCloseTo(Math.pow(1.01, 231) - 1, 8);
    expect(at(0, "vol_21d")).toBeCloseTo(0, 6);
    expect(at(0, "rsi_14")).toBe(100);
    expect(at(1, "rsi_14")).toBe(0);
    expect(at(2, "rsi_14")).toBe(50);
    expect(at(0, "drawdown_252")).toBe(0);
    expect(at(1, "drawdown_252")).toBeCloseTo(Math.pow(0.99, 251) - 1, 10);
    expect(at(0, "cs_rank_ret_21d")).toBe(1);
    expect(at(1, "cs_rank_ret_21d")).toBe(0);
    expect(at(2, "cs_rank_ret_21d")).toBe(0.5);
  });

  test("a feature whose window reaches before the first close is NaN", () => {
    const m = computeFeatures(geometricPanel(30, [0.01, 0.02]));
    const nF = m.featureNames.length;
    expect(m.values[col("ret_21d")]).not.toBeNaN();
    expect(m.values[col("ret_63d")]).toBeNaN();
    expect(m.values[nF + col("mom_12_1")]).toBeNaN();
    expect(m.values[col("cs_rank_mom_12_1")]).toBeNaN();
  });

  test("features at a date only look at closes up to that date", () => {
    const panel = geometricPanel(300, [0.01, -0.02, 0.005]);
    const before = computeFeatures(panel, 280);
    const changed = new Float64Array(panel.closes);
    for (let t = 0; t < 3; t++) for (let d = 281; d < 300; d++) changed[t * 300 + d] = 1;
    const after = computeFeatures({ ...panel, closes: changed }, 280);
    expect(Array.from(after.values)).toEqual(Array.from(before.values));
  });

  test("all-dates export yields one matrix per date, oldest first", () => {
    const all = computeFeaturesForAllDates(geometricPanel(260, [0.01, 0.02]), 250);
    expect(all.map((m) => m.date)).toEqual(["2025-09-08", ...all.slice(1).map((m) => m.date)]);
    expect(all).toHaveLength(10);
  });

  test("undated close arrays are right-aligned on the latest close", () => {
    const panel = panelFromCloseArrays({ A: [1, 2, 3], B: [5, 6] });
    expect(panel.dates).toEqual(["d-2", "d-1", "d-0"]);
    expect(Array.from(panel.closes)).toEqual([1, 2, 3, NaN, 5, 6]);
    const m = computeFeatures(panel);
    expect(m.values[col("ret_1d")]).toBeCloseTo(0.5, 12);
    expect(m.values[m.featureNames.length + col("ret_1d")]).toBeCloseTo(0.2, 12);
  });

  test("cross-sectional rank averages ties and z-score skips NaN", () => {
    expect(Array.from(crossSectionalRank(Float64Array.of(3, 1, NaN, 3)))).toEqual([0.75, 0, NaN, 0.75]);
    const z = crossSectionalZscore(Float64Array.of(1, NaN, 3));
    expect(Array.from(z)).toEqual([-1, NaN, 1]);
    expect(Array.from(crossSectionalZscore(Float64Array.of(2, 2)))).toEqual([0, 0]);
  });

  test("selecting a model's feature order reorders columns and names missing features", () => {
    const m = computeFeatures(geometricPanel(300, [0.01, 0.02]));
    const s = selectFeatures(m, ["rsi_14", "ret_1d"]);
    expect(s.values[1]).toBe(m.values[col("ret_1d")]);
    expect(() => selectFeatures(m, ["ret_1d", "alpha_magic"])).toThrow(FeatureSkewError);
    expect(() => selectFeatures(m, ["alpha_magic"])).toThrow(/alpha_magic/);
  });

  test("docs/features.md lists every v1 feature", () => {
    const doc = readFileSync("docs/features.md", "utf8");
    for (const name of FEATURE_NAMES_V1) expect(doc).toContain(`\`${name}\``);
  });
});
