/**
 * Feature set v1 from prices: the one definition shared by the pipeline, the
 * scorer (`POST /score`) and the training export (`maie features`).
 *
 * - {@link computeFeatures}(panel, dateIndex?) → {@link FeatureMatrix} (tickers × features, row-major)
 * - {@link panelFromCloseArrays}({TICKER: [closes...]}) → {@link PricePanel} for undated inputs
 * - {@link selectFeatures}(matrix, model.featureNames) reorders columns, throws {@link FeatureSkewError}
 */
export {
  FEATURE_SET_VERSION,
  FEATURES_V1,
  FEATURE_NAMES_V1,
  MAX_LOOKBACK_V1,
  type FeatureDefinition,
} from "./definitions.js";
export {
  computeFeatures,
  computeFeaturesForAllDates,
  selectFeatures,
  FeatureSkewError,
  type FeatureMatrix,
} from "./compute.js";
export { crossSectionalRank, crossSectionalZscore, timeSeriesFeature } from "./series.js";
export { panelFromCloseArrays, tickerSeries, type PricePanel } from "../prices/panel.js";
export {
  buildFeatureExport,
  featureExportToCsv,
  featureExportToParquet,
  type FeatureExport,
  type ExportOptions,
} from "./export.js";
