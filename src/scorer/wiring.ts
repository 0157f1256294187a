import {
  computeFeatures,
  FEATURE_NAMES_V1,
  FEATURE_SET_VERSION,
  MAX_LOOKBACK_V1,
  panelFromCloseArrays,
} from "../features/index.js";
import { decodeExpectedPanel, decodePanelFeatures } from "../panel/index.js";
import type { ModelLoader } from "../treeshap/model.js";
import type { ExpectedLoader, FeatureBuilder, FeaturesLoader, ScorerSources } from "./sources.js";

/**
 * The real sources: the pipeline's feature set v1 for posted prices (each
 * series cut to its last `MAX_LOOKBACK_V1` closes, all the features read), its
 * Parquet readers for the expected panel and the stored features, and the
 * WASM TreeSHAP core for the model (`loadExplainableModel`, `src/treeshap/model.ts`).
 */

export const featureSetV1: FeatureBuilder = {
  version: FEATURE_SET_VERSION,
  featureNames: FEATURE_NAMES_V1,
  build(prices) {
    const m = computeFeatures(panelFromCloseArrays(prices, MAX_LOOKBACK_V1));
    return { featureNames: m.featureNames, tickers: m.tickers, values: m.values };
  },
};

export const loadExpectedParquet: ExpectedLoader = async (bytes) => {
  const panel = await decodeExpectedPanel(bytes);
  return { asOf: panel.asOf, alpha: new Map(panel.tickers.map((t, i) => [t, panel.alpha[i]!])) };
};

export const loadFeaturesParquet: FeaturesLoader = async (bytes) => {
  const f = await decodePanelFeatures(bytes);
  return { featureNames: f.featureNames, tickers: f.tickers, values: f.values };
};

export function realSources(loadModel: ModelLoader): ScorerSources {
  return {
    loadModel,
    loadExpected: loadExpectedParquet,
    loadFeatures: loadFeaturesParquet,
    features: featureSetV1,
  };
}
