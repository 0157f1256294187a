/** Where each wanted column stands among a table's column names. */
export interface ColumnLookup {
  /** For wanted name j, its index in the names; complete only when `missing` is empty. */
  readonly indexes: number[];
  /** The wanted names the table lacks, in wanted order. */
  readonly missing: string[];
}

/**
 * Looks each wanted name up in `names` (a name present twice resolves to its
 * last column, as a Map built from the names would).
 */
export function columnIndexes(names: readonly string[], wanted: readonly string[]): ColumnLookup {
  const index = new Map(names.map((n, i) => [n, i]));
  const indexes: number[] = [];
  const missing: string[] = [];
  for (const name of wanted) {
    const i = index.get(name);
    if (i === undefined) missing.push(name);
    else indexes.push(i);
  }
  return { indexes, missing };
}
