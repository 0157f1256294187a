/**
 * CSV as the project reads and writes it: one record per line (no quoted
 * line breaks), comma-separated, `"` quotes with `""` for a literal quote.
 */

/** Splits one CSV line into its cells (unquoted, untrimmed). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted && c === '"' && line[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

export interface CsvRecords {
  /** The header line's cells (untrimmed); `[]` only when there is no header line at all. */
  readonly header: string[];
  /** The cells of every non-blank line after the header, in order. */
  readonly rows: string[][];
}

/**
 * Splits CSV text (`\n` or `\r\n` line ends) into a header and data rows;
 * blank (whitespace-only) lines are skipped. The header is the first line
 * (`"first"`, even when it is blank) or the first non-blank line
 * (`"firstNonBlank"`; none when every line is blank). Row `i` is on data
 * line `i + 2` when no blank line precedes it.
 */
export function readCsv(text: string, headerLine: "first" | "firstNonBlank"): CsvRecords {
  const lines = text.split(/\r?\n/);
  let h = 0;
  if (headerLine === "firstNonBlank") while (h < lines.length && lines[h]!.trim() === "") h++;
  if (h === lines.length) return { header: [], rows: [] };
  const rows: string[][] = [];
  for (let i = h + 1; i < lines.length; i++) if (lines[i]!.trim() !== "") rows.push(splitCsvLine(lines[i]!));
  return { header: splitCsvLine(lines[h]!), rows };
}

/** Quotes a cell that holds a comma, a quote or a line break. */
export function csvQuote(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV line (no line end): strings quoted as needed, numbers as `String(n)`. */
export function csvRow(cells: readonly (string | number)[]): string {
  return cells.map((c) => (typeof c === "number" ? String(c) : csvQuote(c))).join(",");
}
