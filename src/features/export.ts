import { parquetWriteBuffer } from "hyparquet-writer";
import type { PricePanel } from "../prices/panel.js";
import { computeFeatures } from "./compute.js";
import { FEATURE_SET_VERSION, FEATURES_V1 } from "./definitions.js";
import { itemAt } from "../util/lookup.js";

/** The long training table: one row per (date, ticker), features in model column order. */
export interface FeatureExport {
  readonly featureSet: string;
  readonly dates: readonly string[];
  readonly tickers: readonly string[];
  readonly columns: readonly string[];
  /** Column-major, one array per entry of `columns`. */
  readonly data: readonly Float64Array[];
}

export interface ExportOptions {
  /** First date exported (inclusive, `YYYY-MM-DD`); default: the first date. */
  readonly from?: string;
  /** Adds `target_fwd_ret_<h>d` = close[t+h] / close[t] − 1 (NaN where t+h is past the panel). */
  readonly targetHorizon?: number;
}

/** Features of every date ≥ `from` for every ticker, plus an optional forward-return target. */
export function buildFeatureExport(panel: PricePanel, options: ExportOptions = {}): FeatureExport {
  const nD = panel.dates.length;
  const from = options.from;
  const start = from === undefined ? 0 : panel.dates.findIndex((d) => d >= from);
  const featureNames = FEATURES_V1.map((f) => f.name);
  const h = options.targetHorizon;
  const columns = h === undefined ? featureNames : [...featureNames, `target_fwd_ret_${h}d`];
  const dates: string[] = [];
  const tickers: string[] = [];
  const features: number[][] = featureNames.map(() => []);
  const target: number[] = [];
  if (start >= 0)
    for (let d = start; d < nD; d++) {
      const m = computeFeatures(panel, d);
      const nF = featureNames.length;
      m.tickers.forEach((ticker, t) => {
        dates.push(m.date);
        tickers.push(ticker);
        features.forEach((chunk, f) => chunk.push(m.values[t * nF + f]!));
        if (h !== undefined)
          target.push(
            d + h < nD ? panel.closes[t * nD + d + h]! / panel.closes[t * nD + d]! - 1 : Number.NaN,
          );
      });
    }
  const chunks = h === undefined ? features : [...features, target];
  return {
    featureSet: FEATURE_SET_VERSION,
    dates,
    tickers,
    columns,
    data: chunks.map((c) => Float64Array.from(c)),
  };
}

/** CSV with header `date,ticker,<columns>`; NaN is an empty cell; numbers in shortest round-trip form. */
export function featureExportToCsv(e: FeatureExport): string {
  const lines = [["date", "ticker", ...e.columns].join(",")];
  e.dates.forEach((date, r) => {
    const cells = e.data.map((c) => (Number.isFinite(c[r]) ? String(c[r]) : ""));
    lines.push(`${date},${itemAt(e.tickers, r, "export tickers")},${cells.join(",")}`);
  });
  return lines.join("\n") + "\n";
}

/** Parquet with `date` and `ticker` string columns and one DOUBLE per feature (NaN as null); `maie.feature_set` metadata. */
export function featureExportToParquet(e: FeatureExport): Uint8Array {
  const buf = parquetWriteBuffer({
    columnData: [
      { name: "date", data: [...e.dates], type: "STRING" },
      { name: "ticker", data: [...e.tickers], type: "STRING" },
      ...e.columns.map((name, c) => ({
        name,
        data: Array.from(itemAt(e.data, c, "export data"), (v) => (Number.isFinite(v) ? v : null)),
        type: "DOUBLE" as const,
      })),
    ],
    kvMetadata: [{ key: "maie.feature_set", value: e.featureSet }],
    createdBy: "maie (hyparquet-writer)",
  });
  return new Uint8Array(buf);
}
