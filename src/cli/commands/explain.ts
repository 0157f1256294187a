import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parseModel, readModelFile } from "../../models/load.js";
import {
  DEFAULT_MODEL_FORMAT,
  isModelFormatOption,
  MODEL_FORMAT_OPTIONS,
} from "../../contract/model-format.js";
import { columnIndexes, csvRow, readCsv, readParquetRows } from "../../table/index.js";
import { bindModel } from "../../treeshap/model.js";
import { UsageError, type Command } from "../command.js";

const USAGE = `Usage: maie explain --model FILE --rows FILE [options]

Raw-margin predictions and exact path-dependent TreeSHAP values (bias last)
for every row, computed by the WebAssembly core.

  --model FILE          LightGBM model.txt or XGBoost JSON model
  --format FMT          auto (default), lightgbm or xgboost
  --rows FILE           CSV with a header row, or Parquet (.parquet); columns are
                        matched to the model's features by name, extra columns are
                        ignored; empty, NA, NaN and null cells are missing values
  --out FILE            where to write (default: stdout)
  --output KIND         csv (default) or json
  --no-shap             predictions only
  --algorithm ALG       auto (default), fast or classic

CSV output: row, then per output k (suffix _k only for multiclass):
prediction, shap_<feature>..., bias. JSON output: {featureNames, numOutputs,
expectedValue, predictions: [[..]], shap: [[[..]]]} (rows × outputs × features+1).
A progress line goes to stderr for inputs over ${(10_000).toLocaleString("en-US")} rows.`;

const CHUNK_ROWS = 2_000;
const PROGRESS_MIN_ROWS = 10_000;

/** Rows as one row-major matrix in the model's feature order. */
export interface RowTable {
  readonly columns: readonly string[];
  readonly values: Float64Array;
  readonly nRows: number;
}

const MISSING = new Set(["", "na", "nan", "null", "none", "n/a"]);

export function parseCell(cell: string, where: string): number {
  const s = cell.trim();
  if (MISSING.has(s.toLowerCase())) return NaN;
  const v = Number(s);
  if (Number.isNaN(v)) throw new UsageError(`${where}: "${s.slice(0, 40)}" is not a number`);
  return v;
}

/** Picks the model's features out of a table with named columns; missing features are an error naming them. */
function gather<R>(
  header: readonly string[],
  rows: readonly R[],
  cell: (row: R, col: number, r: number) => number,
  features: readonly string[],
): RowTable {
  const { indexes, missing: absent } = columnIndexes(
    header.map((h) => h.trim()),
    features,
  );
  if (absent.length > 0) {
    const shown = absent.slice(0, 10).join(", ");
    throw new UsageError(
      `rows lack ${absent.length} model feature(s): ${shown}${absent.length > 10 ? ", …" : ""}`,
    );
  }
  const nf = features.length;
  const values = new Float64Array(rows.length * nf);
  rows.forEach((row, r) => indexes.forEach((c, j) => (values[r * nf + j] = cell(row, c, r))));
  return { columns: features, values, nRows: rows.length };
}

export function rowsFromCsv(text: string, features: readonly string[]): RowTable {
  const { header, rows: cells } = readCsv(text, "firstNonBlank");
  if (header.length === 0) throw new UsageError("rows CSV is empty (a header row is required)");
  cells.forEach((row, r) => {
    if (row.length !== header.length) {
      throw new UsageError(`rows CSV line ${r + 2} has ${row.length} cells, the header has ${header.length}`);
    }
  });
  // Every row has the header's width (checked above), so `?? ""` (a missing value) never applies.
  return gather(header, cells, (row, c, r) => parseCell(row[c] ?? "", `rows CSV line ${r + 2}`), features);
}

export async function rowsFromParquet(bytes: Uint8Array, features: readonly string[]): Promise<RowTable> {
  const { header, rows: objects } = await readParquetRows(bytes);
  const toNumber = (v: unknown, r: number): number => {
    if (v === null || v === undefined) return NaN;
    if (typeof v === "number") return v;
    if (typeof v === "bigint" || typeof v === "boolean") return Number(v);
    throw new UsageError(`rows Parquet row ${r}: a feature value is not numeric`);
  };
  const cells = objects.map((o) => header.map((h) => o[h]));
  return gather(header, cells, (row, c, r) => toNumber(row[c], r), features);
}

export function formatCsv(
  names: readonly string[],
  numOutputs: number,
  nRows: number,
  pred: Float64Array,
  shap: Float64Array | undefined,
): string {
  const suffix = (k: number): string => (numOutputs > 1 ? `_${k}` : "");
  const head = ["row"];
  for (let k = 0; k < numOutputs; k++) {
    head.push(`prediction${suffix(k)}`);
    if (shap) head.push(...names.map((n) => `shap_${n}${suffix(k)}`), `bias${suffix(k)}`);
  }
  const w = names.length + 1;
  const lines = [csvRow(head)];
  for (let r = 0; r < nRows; r++) {
    const cells: (number | string)[] = [r];
    pred.subarray(r * numOutputs, (r + 1) * numOutputs).forEach((p, k) => {
      cells.push(p);
      const base = (r * numOutputs + k) * w;
      if (shap) for (const v of shap.subarray(base, base + w)) cells.push(v);
    });
    lines.push(csvRow(cells));
  }
  return `${lines.join("\n")}\n`;
}

export const explainCommand: Command = {
  name: "explain",
  summary: "Predictions and exact TreeSHAP values for rows of a CSV or Parquet file (WASM core)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        model: { type: "string" },
        format: { type: "string", default: DEFAULT_MODEL_FORMAT },
        rows: { type: "string" },
        out: { type: "string" },
        output: { type: "string", default: "csv" },
        "no-shap": { type: "boolean", default: false },
        algorithm: { type: "string", default: "auto" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    if (values.model === undefined) throw new UsageError("--model is required");
    if (values.rows === undefined) throw new UsageError("--rows is required");
    const format = values.format;
    if (!isModelFormatOption(format)) {
      throw new UsageError(`--format must be ${MODEL_FORMAT_OPTIONS.join(", ")}, not ${format}`);
    }
    const output = values.output;
    if (output !== "csv" && output !== "json")
      throw new UsageError(`--output must be csv or json, not ${output}`);
    const algorithm = values.algorithm;
    if (algorithm !== "auto" && algorithm !== "fast" && algorithm !== "classic") {
      throw new UsageError(`--algorithm must be auto, fast or classic, not ${algorithm}`);
    }
    const withShap = !values["no-shap"];

    const ensemble = parseModel(await readModelFile(values.model), format);
    const rowBytes = await readFile(values.rows);
    const table = values.rows.toLowerCase().endsWith(".parquet")
      ? await rowsFromParquet(rowBytes, ensemble.featureNames)
      : rowsFromCsv(rowBytes.toString("utf8"), ensemble.featureNames);

    const model = await bindModel(ensemble, { algorithm });
    const n = table.nRows;
    const nf = ensemble.numFeatures;
    const pred = model.predict(table.values, n);
    const shapWidth = model.numOutputs * (nf + 1);
    const shap = withShap ? new Float64Array(n * shapWidth) : undefined;
    const progress = n >= PROGRESS_MIN_ROWS;
    const started = performance.now();
    for (let start = 0; shap !== undefined && start < n; start += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, n - start);
      shap.set(model.shap(table.values.subarray(start * nf, (start + count) * nf), count), start * shapWidth);
      if (progress) {
        const done = start + count;
        const rate = done / ((performance.now() - started) / 1000);
        process.stderr.write(
          `explain: ${done}/${n} rows (${Math.round(rate)} rows/s)${done === n ? "\n" : "\r"}`,
        );
      }
    }
    model.dispose();

    let text: string;
    if (output === "csv") text = formatCsv(model.featureNames, model.numOutputs, n, pred, shap);
    else {
      const w = nf + 1;
      text = `${JSON.stringify({
        featureNames: model.featureNames,
        numOutputs: model.numOutputs,
        expectedValue: Array.from(model.expectedValue),
        predictions: Array.from({ length: n }, (_, r) =>
          Array.from(pred.subarray(r * model.numOutputs, (r + 1) * model.numOutputs)),
        ),
        ...(shap && {
          shap: Array.from({ length: n }, (_, r) =>
            Array.from({ length: model.numOutputs }, (_, k) => {
              const base = (r * model.numOutputs + k) * w;
              return Array.from(shap.subarray(base, base + w));
            }),
          ),
        }),
      })}\n`;
    }
    if (values.out === undefined || values.out === "-") process.stdout.write(text);
    else {
      await writeFile(values.out, text);
      process.stderr.write(`explain: wrote ${n} rows to ${values.out}\n`);
    }
    return 0;
  },
};
