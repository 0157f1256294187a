/** Price input: loading (CSV/Parquet, long or wide), validation and the in-memory panel. */
export { loadPrices, parsePricesCsv, resolvePriceFile, describe, PricesError } from "./load.js";
export type { LoadedPrices, PriceGap, PriceReport, PricesErrorCode } from "./load.js";
export { panelFromCloseArrays, tickerSeries, type PricePanel } from "./panel.js";
