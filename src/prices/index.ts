/** Price input: loading (CSV/Parquet, long or wide), validation and the in-memory panel. */
export {
  loadPrices,
  loadPricesBytes,
  parsePricesCsv,
  resolvePriceFile,
  describe,
  PricesError,
  MAX_PRICE_FILE_BYTES,
  MAX_PRICE_PANEL_CELLS,
} from "./load.js";
export type { LoadedPrices, PriceGap, PriceReport, PricesErrorCode } from "./load.js";
export { panelFromCloseArrays, tickerSeries, type PricePanel } from "./panel.js";
