import { parquetReadObjects } from "hyparquet";

/** The bytes as the standalone ArrayBuffer hyparquet reads (a copy of the view's range). */
export function parquetBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export interface ParquetRows {
  /** The first row's keys (the file's columns); `[]` when there are no rows. */
  readonly header: string[];
  readonly rows: Record<string, unknown>[];
}

/** Every row of a Parquet file as an object keyed by column name; throws hyparquet's error on an unreadable file. */
export async function readParquetRows(bytes: Uint8Array): Promise<ParquetRows> {
  const rows = (await parquetReadObjects({ file: parquetBuffer(bytes) })) as Record<string, unknown>[];
  return { header: rows.length > 0 ? Object.keys(rows[0]!) : [], rows };
}
