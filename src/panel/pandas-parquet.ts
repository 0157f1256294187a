import { parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { SchemaElement } from "hyparquet";
import type { SchemaElement as WriterSchemaElement } from "hyparquet-writer";
import { parquetBuffer } from "../table/index.js";
import { itemAt } from "../util/lookup.js";

/**
 * A pandas DataFrame of float64 columns with one named index column, the
 * only shape the data volume holds. Written the way `DataFrame.to_parquet`
 * (pyarrow) writes it: value columns first, the index last, and the `pandas`
 * key-value metadata that makes `pd.read_parquet` restore the index.
 */
export interface PandasFrame {
  readonly index:
    | { readonly name: string; readonly kind: "datetime"; readonly values: readonly string[] }
    | { readonly name: string; readonly kind: "string"; readonly values: readonly string[] };
  readonly columns: readonly string[];
  /** Column-major: `data[c]` holds column `columns[c]`, one value per index entry. */
  readonly data: readonly Float64Array[];
  /** Extra key-value metadata (e.g. `maie.feature_set`). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The pyarrow version our `pandas` metadata claims as creator (what the committed fixture was written with). */
const CREATOR = { library: "pyarrow", version: "26.0.1" };

function pandasMetadata(frame: PandasFrame): string {
  const col = (name: string, pandasType: string, numpyType: string) => ({
    name,
    field_name: name,
    pandas_type: pandasType,
    numpy_type: numpyType,
    metadata: null,
  });
  return JSON.stringify({
    index_columns: [frame.index.name],
    column_indexes: [
      {
        name: null,
        field_name: null,
        pandas_type: "unicode",
        numpy_type: "object",
        metadata: { encoding: "UTF-8" },
      },
    ],
    columns: [
      ...frame.columns.map((c) => col(c, "float64", "float64")),
      frame.index.kind === "datetime"
        ? col(frame.index.name, "datetime", "datetime64[us]")
        : col(frame.index.name, "unicode", "object"),
    ],
    attributes: {},
    creator: CREATOR,
    pandas_version: "2.2.3",
  });
}

/** `YYYY-MM-DD` → midnight UTC as a Date (a naive pandas Timestamp). */
export function isoDateToDate(iso: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso) || Number.isNaN(Date.parse(`${iso}T00:00:00Z`)))
    throw new RangeError(`invalid date '${iso}': expected YYYY-MM-DD`);
  return new Date(`${iso}T00:00:00Z`);
}

/** Encodes a frame as Parquet bytes that `pd.read_parquet` reads back as the same DataFrame. */
export function writePandasParquet(frame: PandasFrame): Uint8Array {
  const n = frame.index.values.length;
  frame.data.forEach((column, c) => {
    if (column.length !== n)
      throw new RangeError(`column ${frame.columns[c]} has ${column.length} values, index has ${n}`);
  });
  if (frame.data.length !== frame.columns.length)
    throw new RangeError("one data array per column is required");
  const names = new Set<string>();
  for (const c of [...frame.columns, frame.index.name]) {
    if (names.has(c)) throw new RangeError(`duplicate column name '${c}'`);
    names.add(c);
  }
  const schema: WriterSchemaElement[] = [
    { name: "schema", num_children: frame.columns.length + 1, repetition_type: "REQUIRED" },
    ...frame.columns.map((name): WriterSchemaElement => ({
      name,
      type: "DOUBLE",
      repetition_type: "OPTIONAL",
    })),
    frame.index.kind === "datetime"
      ? {
          name: frame.index.name,
          type: "INT64",
          repetition_type: "OPTIONAL",
          logical_type: { type: "TIMESTAMP", isAdjustedToUTC: false, unit: "MICROS" },
        }
      : { name: frame.index.name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
  ];
  const indexData =
    frame.index.kind === "datetime" ? frame.index.values.map(isoDateToDate) : [...frame.index.values];
  const buffer = parquetWriteBuffer({
    schema,
    columnData: [
      ...frame.data.map((data, c) => ({ name: itemAt(frame.columns, c, "frame columns"), data })),
      { name: frame.index.name, data: indexData },
    ],
    kvMetadata: [
      { key: "pandas", value: pandasMetadata(frame) },
      ...Object.entries(frame.metadata ?? {}).map(([key, value]) => ({ key, value })),
    ],
    createdBy: "maie (hyparquet-writer)",
    statistics: false,
  });
  return new Uint8Array(buffer);
}

/** Thrown when a Parquet file is not a frame of the shape we expect. */
export class PanelFormatError extends Error {
  override readonly name = "PanelFormatError";
}

interface PandasMeta {
  index_columns?: unknown[];
}

/**
 * Decodes a pandas-written (or {@link writePandasParquet}-written) Parquet
 * file. The index column is the one named in the `pandas` metadata; without
 * that metadata, `indexHint` (e.g. `"date"`) or the only non-numeric column.
 * Every other column must be numeric; nulls come back as `NaN`.
 */
export async function readPandasParquet(bytes: Uint8Array, indexHint?: string): Promise<PandasFrame> {
  const file = parquetBuffer(bytes);
  let metadata;
  try {
    metadata = parquetMetadata(file);
  } catch (err) {
    throw new PanelFormatError(`not a Parquet file: ${err instanceof Error ? err.message : String(err)}`);
  }
  const kv = Object.fromEntries((metadata.key_value_metadata ?? []).map((e) => [e.key, e.value ?? ""]));
  const fields = parquetSchema(metadata).children.map((c) => c.element);
  let indexName: string | undefined;
  if (kv["pandas"] !== undefined) {
    const meta = JSON.parse(kv["pandas"]) as PandasMeta;
    const first = meta.index_columns?.[0];
    if (typeof first === "string") indexName = first;
  }
  const isNumeric = (e: SchemaElement) =>
    (e.type === "DOUBLE" || e.type === "FLOAT" || e.type === "INT32" || e.type === "INT64") &&
    e.logical_type?.type !== "TIMESTAMP" &&
    e.logical_type?.type !== "DATE" &&
    e.converted_type !== "DATE" &&
    e.converted_type !== "TIMESTAMP_MILLIS" &&
    e.converted_type !== "TIMESTAMP_MICROS";
  if (indexName === undefined && indexHint !== undefined && fields.some((f) => f.name === indexHint))
    indexName = indexHint;
  if (indexName === undefined) {
    const nonNumeric = fields.filter((f) => !isNumeric(f));
    if (nonNumeric.length === 1) indexName = nonNumeric[0]?.name;
  }
  const indexField = fields.find((f) => f.name === indexName);
  if (indexField === undefined)
    throw new PanelFormatError(
      `no index column found (pandas metadata: ${kv["pandas"] === undefined ? "absent" : "present"}; columns: ${fields
        .map((f) => f.name)
        .slice(0, 8)
        .join(", ")})`,
    );
  const columns = fields.filter((f) => f !== indexField).map((f) => f.name);
  const bad = fields.filter((f) => f !== indexField && !isNumeric(f));
  if (bad.length > 0)
    throw new PanelFormatError(`non-numeric value column(s): ${bad.map((f) => f.name).join(", ")}`);
  const rows = (await parquetReadObjects({ file, utf8: true })) as Record<string, unknown>[];
  const rawIndex = rows.map((r) => r[indexField.name]);
  const isDate = rawIndex.every((v) => v instanceof Date);
  const index = isDate
    ? {
        name: indexField.name,
        kind: "datetime" as const,
        values: rawIndex.map((v) => v.toISOString().slice(0, 10)),
      }
    : { name: indexField.name, kind: "string" as const, values: rawIndex.map((v) => String(v)) };
  const data = columns.map((c) => Float64Array.from(rows, (r) => toNumber(r[c])));
  return { index, columns, data, metadata: kv };
}

function toNumber(v: unknown): number {
  if (v === null || v === undefined) return Number.NaN;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return v;
  return Number.NaN;
}
