/**
 * The expected panel on the data volume (design §7), in Parquet that pandas
 * reads as the original MAIE frame.
 *
 * - {@link readExpectedLatest}(dataDir) → {@link ExpectedPanel} `{asOf, tickers, alpha}`
 * - {@link readFeaturesLatest}(dataDir) → {@link PanelFeatures} (tickers × features, row-major)
 * - {@link decodeExpectedPanel} / {@link decodePanelFeatures} for bytes already in memory (file watchers)
 * - {@link writeExpected}(dataDir, panel, features): history, features, then latest, each atomic
 * Readers throw {@link PanelFormatError} for a file of the wrong shape.
 */
export {
  encodeExpectedPanel,
  decodeExpectedPanel,
  encodePanelFeatures,
  decodePanelFeatures,
  readExpectedLatest,
  readFeaturesLatest,
  writeExpected,
  type ExpectedPanel,
  type PanelFeatures,
} from "./expected.js";
export {
  PanelFormatError,
  readPandasParquet,
  writePandasParquet,
  type PandasFrame,
} from "./pandas-parquet.js";
