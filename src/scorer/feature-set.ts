import {
  computeFeatures,
  FEATURE_NAMES_V1,
  FEATURE_SET_VERSION,
  MAX_LOOKBACK_V1,
  panelFromCloseArrays,
} from "../features/index.js";
import type { FeatureBuilder } from "./sources.js";

/**
 * The pipeline's feature set v1 for posted prices: each series cut to its
 * last `MAX_LOOKBACK_V1` closes, all the features read. Its own module so
 * the compute workers load it without the Parquet readers.
 */
export const featureSetV1: FeatureBuilder = {
  version: FEATURE_SET_VERSION,
  featureNames: FEATURE_NAMES_V1,
  build(prices) {
    const m = computeFeatures(panelFromCloseArrays(prices, MAX_LOOKBACK_V1));
    return { featureNames: m.featureNames, tickers: m.tickers, values: m.values };
  },
};
