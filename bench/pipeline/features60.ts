import { FEATURES_V1, type FeatureDefinition } from "../../src/features/index.js";

/**
 * A 60-feature set for the pipeline benchmark (design §9: 5,000 tickers × 60
 * features): feature set v1's 22, plus 38 more of the same kinds over other
 * windows. Computed by the same code as v1; only the list is longer.
 */
const extra: FeatureDefinition[] = [];
const add = (name: string, spec: FeatureDefinition["spec"]) => extra.push({ name, description: name, spec });
for (const h of [2, 3, 10, 15, 42, 84, 189]) add(`ret_${h}d`, { kind: "return", horizon: h });
for (const w of [5, 10, 42, 126, 252]) add(`vol_${w}d`, { kind: "volatility", window: w });
for (const w of [5, 10, 100, 200]) add(`ma_ratio_${w}`, { kind: "maRatio", window: w });
for (const [f, s] of [
  [5, 20],
  [10, 50],
  [20, 100],
  [20, 200],
] as const)
  add(`ma_cross_${f}_${s}`, { kind: "maCross", fast: f, slow: s });
for (const w of [7, 21]) add(`rsi_${w}`, { kind: "rsi", window: w });
for (const w of [21, 63, 126]) add(`drawdown_${w}`, { kind: "drawdown", window: w });
add("mom_6_1", { kind: "momentum", from: 126, skip: 21 });
add("mom_3_1", { kind: "momentum", from: 63, skip: 21 });
for (const src of ["ret_5d", "ret_63d", "ret_126d", "vol_21d", "ma_ratio_50", "ma_cross_50_200", "rsi_7"])
  add(`cs_rank_${src}`, { kind: "csRank", source: src });
for (const src of ["ret_5d", "ret_63d", "ret_252d", "vol_21d"])
  add(`cs_z_${src}`, { kind: "csZscore", source: src });

export const FEATURES_60: readonly FeatureDefinition[] = [...FEATURES_V1, ...extra];
if (FEATURES_60.length !== 60)
  throw new Error(`bench feature set has ${FEATURES_60.length} features, not 60`);
