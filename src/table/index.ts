/**
 * Tables in files: CSV splitting, reading and writing, and Parquet reading
 * (hyparquet), shared by the price loader (`src/prices`), `maie explain` and
 * the pandas Parquet panel (`src/panel`).
 */
export { columnIndexes, type ColumnLookup } from "./columns.js";
export { csvQuote, csvRow, readCsv, splitCsvLine, type CsvRecords } from "./csv.js";
export { parquetBuffer, readParquetRows, type ParquetRows } from "./parquet.js";
