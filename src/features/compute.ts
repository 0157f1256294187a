import type { PricePanel } from "../prices/panel.js";
import { columnIndexes } from "../table/index.js";
import { FEATURE_SET_VERSION, FEATURES_V1, type FeatureDefinition } from "./definitions.js";
import { crossSectionalRank, crossSectionalZscore, timeSeriesFeature } from "./series.js";

/**
 * The features of every ticker on one date: a row-major
 * `tickers.length × featureNames.length` matrix (`values[r * nFeatures + f]`),
 * exactly the row layout the TreeSHAP explainer takes. Missing is `NaN`.
 */
export interface FeatureMatrix {
  readonly featureSet: string;
  readonly date: string;
  readonly tickers: readonly string[];
  readonly featureNames: readonly string[];
  readonly values: Float64Array;
}

/**
 * Computes feature set v1 for every ticker of `panel` on `panel.dates[dateIndex]`
 * (default: the latest date), using only closes up to that date. Pure.
 */
export function computeFeatures(
  panel: PricePanel,
  dateIndex: number = panel.dates.length - 1,
  features: readonly FeatureDefinition[] = FEATURES_V1,
): FeatureMatrix {
  const nDates = panel.dates.length;
  if (!Number.isInteger(dateIndex) || dateIndex < 0 || dateIndex >= nDates)
    throw new RangeError(`date index ${dateIndex} is outside the panel's ${nDates} dates`);
  const nTickers = panel.tickers.length;
  const nFeatures = features.length;
  const values = new Float64Array(nTickers * nFeatures);
  const columns = new Map<string, Float64Array>();
  features.forEach((feature, f) => {
    const column = new Float64Array(nTickers);
    const spec = feature.spec;
    if (spec.kind === "csRank" || spec.kind === "csZscore") {
      const source = columns.get(spec.source);
      if (source === undefined)
        throw new Error(`feature ${feature.name}: source ${spec.source} must be defined before it`);
      column.set(spec.kind === "csRank" ? crossSectionalRank(source) : crossSectionalZscore(source));
    } else {
      for (let t = 0; t < nTickers; t++)
        column[t] = timeSeriesFeature(panel.closes.subarray(t * nDates, (t + 1) * nDates), dateIndex, spec);
    }
    columns.set(feature.name, column);
    for (let t = 0; t < nTickers; t++) values[t * nFeatures + f] = column[t]!;
  });
  return {
    featureSet: features === FEATURES_V1 ? FEATURE_SET_VERSION : "custom",
    date: panel.dates[dateIndex]!,
    tickers: panel.tickers,
    featureNames: features.map((f) => f.name),
    values,
  };
}

/**
 * Features for every date from `fromIndex` (default: the first date with a
 * full lookback is up to the caller; 0 computes all) to the latest, for
 * training export. One matrix per date, oldest first.
 */
export function computeFeaturesForAllDates(
  panel: PricePanel,
  fromIndex = 0,
  features: readonly FeatureDefinition[] = FEATURES_V1,
): FeatureMatrix[] {
  const out: FeatureMatrix[] = [];
  for (let d = Math.max(0, fromIndex); d < panel.dates.length; d++)
    out.push(computeFeatures(panel, d, features));
  return out;
}

/**
 * Reorders a matrix's columns to `wanted` (e.g. a model's feature names).
 * Throws a `FeatureSkewError` naming what is missing when a wanted feature
 * is not in the matrix.
 */
export function selectFeatures(matrix: FeatureMatrix, wanted: readonly string[]): FeatureMatrix {
  const { indexes, missing } = columnIndexes(matrix.featureNames, wanted);
  if (missing.length > 0) throw new FeatureSkewError(missing, matrix.featureNames);
  const nIn = matrix.featureNames.length;
  const nOut = wanted.length;
  const values = new Float64Array(matrix.tickers.length * nOut);
  for (let r = 0; r < matrix.tickers.length; r++)
    indexes.forEach((c, f) => (values[r * nOut + f] = matrix.values[r * nIn + c]!));
  return { ...matrix, featureNames: [...wanted], values };
}

/** The model expects features that the feature set does not produce. */
export class FeatureSkewError extends Error {
  override readonly name = "FeatureSkewError";
  readonly code = "FEATURE_SKEW";
  constructor(
    readonly missing: readonly string[],
    readonly available: readonly string[],
  ) {
    super(
      `model expects ${missing.length} feature(s) that feature set ${FEATURE_SET_VERSION} does not produce: ` +
        `${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} (available: ${available.join(", ")})`,
    );
  }
}
