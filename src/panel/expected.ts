import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { EXPECTED_LATEST, FEATURES_LATEST, historyPath } from "../contract/data-layout.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { itemAt } from "../util/lookup.js";
import { isoDateToDate, PanelFormatError, readPandasParquet, writePandasParquet } from "./pandas-parquet.js";

/**
 * The expected panel: one alpha per ticker as of one date. On disk it is the
 * original MAIE one-row frame: a DatetimeIndex named `date` and one float64
 * column per ticker.
 */
export interface ExpectedPanel {
  /** `YYYY-MM-DD`. */
  readonly asOf: string;
  readonly tickers: readonly string[];
  readonly alpha: Float64Array;
}

/** Ticker × feature frame of the scored date (`expected/features_latest.parquet`). */
export interface PanelFeatures {
  readonly asOf: string;
  readonly featureSet: string;
  readonly tickers: readonly string[];
  readonly featureNames: readonly string[];
  /** Row-major `tickers.length × featureNames.length`, `NaN` = missing. */
  readonly values: Float64Array;
}

/** Parquet bytes of the expected panel, as pandas writes the original MAIE frame. */
export function encodeExpectedPanel(panel: ExpectedPanel): Uint8Array {
  if (panel.alpha.length !== panel.tickers.length)
    throw new RangeError(`${panel.alpha.length} alphas for ${panel.tickers.length} tickers`);
  isoDateToDate(panel.asOf);
  return writePandasParquet({
    index: { name: "date", kind: "datetime", values: [panel.asOf] },
    columns: panel.tickers,
    data: Array.from(panel.alpha, (a) => Float64Array.of(a)),
    metadata: { "maie.kind": "expected_panel" },
  });
}

/**
 * Reads an expected panel (ours or one written by the original MAIE pipeline
 * with pandas). With several rows, the last (latest) row is the panel.
 * Throws `PanelFormatError` with the reason when the file is not such a frame.
 */
export async function decodeExpectedPanel(bytes: Uint8Array): Promise<ExpectedPanel> {
  const frame = await readPandasParquet(bytes, "date");
  if (frame.index.kind !== "datetime")
    throw new PanelFormatError(`index column '${frame.index.name}' is not a date/timestamp`);
  const asOf = frame.index.values.at(-1);
  if (asOf === undefined) throw new PanelFormatError("the panel has no rows");
  const last = frame.index.values.length - 1;
  return {
    asOf,
    tickers: frame.columns,
    alpha: Float64Array.from(frame.data, (column) => itemAt(column, last, "panel column")),
  };
}

/** Parquet bytes of the ticker × feature frame (index `ticker`). */
export function encodePanelFeatures(features: PanelFeatures): Uint8Array {
  const nF = features.featureNames.length;
  if (features.values.length !== features.tickers.length * nF)
    throw new RangeError(
      `values hold ${features.values.length} numbers, expected ${features.tickers.length}×${nF}`,
    );
  return writePandasParquet({
    index: { name: "ticker", kind: "string", values: features.tickers },
    columns: features.featureNames,
    data: features.featureNames.map((_, f) =>
      Float64Array.from(features.tickers, (_t, r) => features.values[r * nF + f]!),
    ),
    metadata: {
      "maie.kind": "panel_features",
      "maie.feature_set": features.featureSet,
      "maie.as_of": features.asOf,
    },
  });
}

/** Reads `features_latest.parquet` (ours, or any pandas ticker-indexed float frame). */
export async function decodePanelFeatures(bytes: Uint8Array): Promise<PanelFeatures> {
  const frame = await readPandasParquet(bytes, "ticker");
  const nF = frame.columns.length;
  const tickers = frame.index.values;
  const values = new Float64Array(tickers.length * nF);
  frame.data.forEach((column, f) => column.forEach((v, r) => (values[r * nF + f] = v)));
  return {
    asOf: frame.metadata?.["maie.as_of"] ?? "",
    featureSet: frame.metadata?.["maie.feature_set"] ?? "unknown",
    tickers,
    featureNames: frame.columns,
    values,
  };
}

/** Reads `<dataDir>/expected/expected_latest.parquet`. */
export async function readExpectedLatest(dataDir: string): Promise<ExpectedPanel> {
  return decodeExpectedPanel(await readFile(join(dataDir, EXPECTED_LATEST)));
}

/** Reads `<dataDir>/expected/features_latest.parquet`. */
export async function readFeaturesLatest(dataDir: string): Promise<PanelFeatures> {
  return decodePanelFeatures(await readFile(join(dataDir, FEATURES_LATEST)));
}

/**
 * Writes the dated history file, the features and then `expected_latest`
 * (each atomically; the latest panel last, so a reader that sees the new
 * panel also finds its features and history).
 */
export async function writeExpected(
  dataDir: string,
  panel: ExpectedPanel,
  features: PanelFeatures,
): Promise<void> {
  const panelBytes = encodeExpectedPanel(panel);
  const featureBytes = encodePanelFeatures(features);
  await writeFileAtomic(join(dataDir, historyPath(panel.asOf)), panelBytes);
  await writeFileAtomic(join(dataDir, FEATURES_LATEST), featureBytes);
  await writeFileAtomic(join(dataDir, EXPECTED_LATEST), panelBytes);
}
