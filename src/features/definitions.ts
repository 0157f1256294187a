/**
 * Feature set v1: the single definition of every model input.
 *
 * Time-series features are computed per ticker from its closes up to and
 * including the scored date; cross-sectional features are then computed per
 * date over all tickers of the panel. `docs/features.md` documents the same
 * list; a unit test keeps the two in sync.
 */

export const FEATURE_SET_VERSION = "v1";

/** Trading days per year, used to annualise volatility. */
export const TRADING_DAYS = 252;

export type TimeSeriesKind =
  | { readonly kind: "return"; readonly horizon: number }
  | { readonly kind: "volatility"; readonly window: number }
  | { readonly kind: "momentum"; readonly from: number; readonly skip: number }
  | { readonly kind: "maRatio"; readonly window: number }
  | { readonly kind: "maCross"; readonly fast: number; readonly slow: number }
  | { readonly kind: "rsi"; readonly window: number }
  | { readonly kind: "drawdown"; readonly window: number };

export type CrossSectionalKind =
  | { readonly kind: "csRank"; readonly source: string }
  | { readonly kind: "csZscore"; readonly source: string };

export interface FeatureDefinition {
  readonly name: string;
  readonly description: string;
  readonly spec: TimeSeriesKind | CrossSectionalKind;
}

const ts = (name: string, description: string, spec: TimeSeriesKind): FeatureDefinition => ({
  name,
  description,
  spec,
});
const cs = (kind: "csRank" | "csZscore", source: string): FeatureDefinition => ({
  name: `${kind === "csRank" ? "cs_rank" : "cs_z"}_${source}`,
  description:
    kind === "csRank"
      ? `Cross-sectional percentile rank of ${source} on the date, in [0, 1] (ties share their average rank)`
      : `Cross-sectional z-score of ${source} on the date (population standard deviation; 0 when all equal)`,
  spec: kind === "csRank" ? { kind, source } : { kind, source },
});

/** Feature set v1, in model column order. */
export const FEATURES_V1: readonly FeatureDefinition[] = [
  ts("ret_1d", "Return over the last trading day: close[t] / close[t-1] - 1", { kind: "return", horizon: 1 }),
  ts("ret_5d", "Trailing 5-day return", { kind: "return", horizon: 5 }),
  ts("ret_21d", "Trailing 21-day (1 month) return", { kind: "return", horizon: 21 }),
  ts("ret_63d", "Trailing 63-day (3 months) return", { kind: "return", horizon: 63 }),
  ts("ret_126d", "Trailing 126-day (6 months) return", { kind: "return", horizon: 126 }),
  ts("ret_252d", "Trailing 252-day (12 months) return", { kind: "return", horizon: 252 }),
  ts("vol_21d", "Annualised volatility: sample std of the last 21 daily log returns × √252", {
    kind: "volatility",
    window: 21,
  }),
  ts("vol_63d", "Annualised volatility of the last 63 daily log returns", { kind: "volatility", window: 63 }),
  ts("mom_12_1", "12-1 momentum: close[t-21] / close[t-252] - 1 (skips the latest month)", {
    kind: "momentum",
    from: 252,
    skip: 21,
  }),
  ts("ma_ratio_20", "close[t] / SMA20 - 1", { kind: "maRatio", window: 20 }),
  ts("ma_ratio_50", "close[t] / SMA50 - 1", { kind: "maRatio", window: 50 }),
  ts("ma_cross_50_200", "SMA50 / SMA200 - 1", { kind: "maCross", fast: 50, slow: 200 }),
  ts("rsi_14", "RSI over the last 14 price changes, simple averages (Cutler): 100 - 100 / (1 + gain/loss)", {
    kind: "rsi",
    window: 14,
  }),
  ts("drawdown_252", "close[t] / max(close[t-251..t]) - 1 (≤ 0)", { kind: "drawdown", window: 252 }),
  cs("csRank", "ret_21d"),
  cs("csZscore", "ret_21d"),
  cs("csRank", "mom_12_1"),
  cs("csZscore", "mom_12_1"),
  cs("csRank", "vol_63d"),
  cs("csZscore", "vol_63d"),
  cs("csRank", "rsi_14"),
  cs("csZscore", "drawdown_252"),
];

/** The v1 feature names in model column order. */
export const FEATURE_NAMES_V1: readonly string[] = FEATURES_V1.map((f) => f.name);

/** Closes needed before a time-series feature is defined (its lookback + 1). */
export function requiredHistory(spec: TimeSeriesKind): number {
  switch (spec.kind) {
    case "return":
      return spec.horizon + 1;
    case "volatility":
      return spec.window + 1;
    case "momentum":
      return spec.from + 1;
    case "maRatio":
      return spec.window;
    case "maCross":
      return Math.max(spec.fast, spec.slow);
    case "rsi":
      return spec.window + 1;
    case "drawdown":
      return spec.window;
  }
}

/** Closes needed for every v1 feature to be defined (253: one year of returns). */
export const MAX_LOOKBACK_V1 = Math.max(
  ...FEATURES_V1.flatMap((f) =>
    f.spec.kind === "csRank" || f.spec.kind === "csZscore" ? [] : [requiredHistory(f.spec)],
  ),
);
