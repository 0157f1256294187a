import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { readCsv, readParquetRows } from "../table/index.js";
import { entryOf, itemAt } from "../util/lookup.js";
import type { PricePanel } from "./panel.js";

/**
 * Price input (design §7): CSV or Parquet, long (`date,ticker,close`) or wide
 * (`date,<TICKER>...`). Loading validates it and reports gaps; anything that
 * would make the features wrong is a {@link PricesError} naming the first
 * offending rows.
 */

export type PricesErrorCode =
  "NOT_FOUND" | "AMBIGUOUS" | "FORMAT" | "DATE_ORDER" | "BAD_PRICE" | "EMPTY" | "TOO_LARGE";

/** Largest price file read (bytes): checked with `stat` before reading. */
export const MAX_PRICE_FILE_BYTES = 512 * 1024 * 1024;
/**
 * Largest dense panel built (dates × tickers cells, 8 bytes each: 256 MiB),
 * e.g. 5,000 tickers × 25 years. Checked before allocating: a long-format
 * file whose every row is a new date and a new ticker would otherwise ask
 * for rows² cells.
 */
export const MAX_PRICE_PANEL_CELLS = 32 * 1024 * 1024;

export class PricesError extends Error {
  override readonly name = "PricesError";
  constructor(
    readonly code: PricesErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A stretch of missing closes inside a ticker's history (between its first and last price). */
export interface PriceGap {
  readonly ticker: string;
  readonly from: string;
  readonly to: string;
  readonly missing: number;
}

export interface PriceReport {
  readonly source: string;
  readonly layout: "long" | "wide";
  readonly dates: number;
  readonly tickers: number;
  readonly firstDate: string;
  readonly lastDate: string;
  readonly gaps: readonly PriceGap[];
  /** Tickers with no close on the latest date (they get no score). */
  readonly staleTickers: readonly string[];
}

export interface LoadedPrices {
  readonly panel: PricePanel;
  readonly report: PriceReport;
}

type Cell = string | number | Date | null | undefined;
type Table = {
  readonly header: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  readonly rowOffset: number;
};

const DATE_COLS = ["date", "datetime", "timestamp"];
const TICKER_COLS = ["ticker", "symbol"];
const CLOSE_COLS = ["close", "adj_close", "price"];
const MAX_LISTED = 5;

/** Finds the price file: `path` itself, or the one `.csv`/`.parquet` file in the directory `path`. */
export async function resolvePriceFile(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new PricesError("NOT_FOUND", `no price input at ${path}`);
  if (!info.isDirectory()) return path;
  const files = (await readdir(path)).filter((f) => /\.(csv|parquet)$/i.test(f) && !f.startsWith(".")).sort();
  const [only, ...others] = files;
  if (only === undefined) throw new PricesError("NOT_FOUND", `no .csv or .parquet file in ${path}`);
  if (others.length > 0)
    throw new PricesError("AMBIGUOUS", `several price files in ${path} (${files.join(", ")}): keep one`);
  return join(path, only);
}

/** Loads and validates a price file (or a directory holding exactly one). */
export async function loadPrices(path: string): Promise<LoadedPrices> {
  const file = await resolvePriceFile(path);
  const size = (await stat(file)).size;
  if (size > MAX_PRICE_FILE_BYTES)
    throw new PricesError(
      "TOO_LARGE",
      `${file}: ${size} bytes, over MAX_PRICE_FILE_BYTES (${MAX_PRICE_FILE_BYTES})`,
    );
  return loadPricesBytes(await readFile(file), file);
}

/**
 * Loads and validates price bytes already in memory (an object fetched from
 * the store, bounded by MAX_PRICE_FILE_BYTES there). `source` names them in
 * messages, and its extension picks the format as for a file: `.parquet`
 * is Parquet, anything else CSV.
 */
export async function loadPricesBytes(bytes: Uint8Array, source: string): Promise<LoadedPrices> {
  const table =
    extname(source).toLowerCase() === ".parquet"
      ? await parquetTable(bytes)
      : csvTable(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  return pricesFromTable(table, source);
}

/** Parses CSV text (as `loadPrices` does for a `.csv` file); `source` names it in messages. */
export function parsePricesCsv(text: string, source = "<csv>"): LoadedPrices {
  return pricesFromTable(csvTable(text), source);
}

function csvTable(text: string): Table {
  const { header, rows } = readCsv(text, "first");
  return { header: header.map((h) => h.trim()), rows, rowOffset: 2 };
}

async function parquetTable(bytes: Uint8Array): Promise<Table> {
  let parquet;
  try {
    parquet = await readParquetRows(bytes);
  } catch (err) {
    throw new PricesError(
      "FORMAT",
      `not a readable Parquet file: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const { header, rows: objects } = parquet;
  const rows = objects.map((o) =>
    header.map((h): Cell => {
      const v = o[h];
      if (typeof v === "bigint") return Number(v);
      if (v instanceof Date || typeof v === "number" || typeof v === "string" || v == null) return v;
      // Any other value (boolean, nested) is kept as text, to be refused as a price or date naming it.
      return JSON.stringify(v);
    }),
  );
  return { header, rows, rowOffset: 0 };
}

function toIsoDate(v: Cell): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString().slice(0, 10);
  if (typeof v !== "string") return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?Z?)?$/.exec(v.trim());
  if (m === null) return undefined;
  const d = new Date(`${m[1]}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== m[1] ? undefined : m[1];
}

/** `undefined` = missing cell; `NaN` = present but not a number. */
function toPrice(v: Cell): number | undefined {
  if (v == null) return undefined;
  if (typeof v === "number") return Number.isNaN(v) ? undefined : v;
  if (v instanceof Date) return Number.NaN;
  const s = v.trim();
  if (s === "" || /^(nan|na|null)$/i.test(s)) return undefined;
  // No two adjacent parts can match the same digits, so a failed match backtracks
  // linearly (`\d+\.?\d*` was quadratic in a long run of digits).
  return /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(s) ? Number(s) : Number.NaN;
}

/** A cell as quoted in an error message: at most 40 characters of it. */
function shown(v: Cell): string {
  const s = String(v);
  return s.length <= 40 ? s : `${s.slice(0, 40)}… (${s.length} characters)`;
}

function checkCells(source: string, dates: number, tickers: number): void {
  if (dates * tickers > MAX_PRICE_PANEL_CELLS)
    throw new PricesError(
      "TOO_LARGE",
      `${source}: ${dates} dates × ${tickers} tickers = ${dates * tickers} cells, over MAX_PRICE_PANEL_CELLS (${MAX_PRICE_PANEL_CELLS})`,
    );
}

function pricesFromTable(table: Table, source: string): LoadedPrices {
  const lower = table.header.map((h) => h.toLowerCase());
  const dateCol = lower.findIndex((h) => DATE_COLS.includes(h));
  if (dateCol < 0)
    throw new PricesError(
      "FORMAT",
      `${source}: no date column (expected one of ${DATE_COLS.join(", ")}; got ${table.header.join(", ")})`,
    );
  if (table.rows.length === 0) throw new PricesError("EMPTY", `${source}: no price rows`);
  const tickerCol = lower.findIndex((h) => TICKER_COLS.includes(h));
  const closeCol = lower.findIndex((h) => CLOSE_COLS.includes(h));
  const long = tickerCol >= 0 && closeCol >= 0;
  const where = (i: number) => (table.rowOffset > 0 ? `line ${i + table.rowOffset}` : `row ${i}`);
  const badDates: string[] = [];
  const dates = table.rows.map((r, i) => {
    const d = toIsoDate(r[dateCol]);
    if (d === undefined && badDates.length < MAX_LISTED) badDates.push(`${where(i)}: '${shown(r[dateCol])}'`);
    return d ?? "";
  });
  if (badDates.length > 0)
    throw new PricesError("FORMAT", `${source}: dates must be YYYY-MM-DD (${badDates.join("; ")})`);

  const badPrices: string[] = [];
  const checkPrice = (v: Cell, i: number, ticker: string): number => {
    const p = toPrice(v);
    if (p === undefined) return Number.NaN;
    if (!Number.isFinite(p) || p <= 0) {
      if (badPrices.length < MAX_LISTED) badPrices.push(`${where(i)} ${shown(ticker)}: '${shown(v)}'`);
      return Number.NaN;
    }
    return p;
  };

  let panelDates: string[];
  let tickers: string[];
  let closes: Float64Array;
  if (long) {
    const perTicker = new Map<string, { date: string; row: number; cells: readonly Cell[] }[]>();
    table.rows.forEach((cells, row) => {
      const t = String(cells[tickerCol] ?? "").trim();
      if (t === "") throw new PricesError("FORMAT", `${source}: ${where(row)} has no ticker`);
      const list = perTicker.get(t) ?? [];
      list.push({ date: itemAt(dates, row, "row dates"), row, cells });
      perTicker.set(t, list);
    });
    const disorder: string[] = [];
    for (const [t, list] of perTicker)
      list.forEach((cur, k) => {
        const prev = list[k - 1];
        if (prev !== undefined && cur.date <= prev.date && disorder.length < MAX_LISTED)
          disorder.push(`${t} ${cur.date} after ${prev.date} (${where(cur.row)})`);
      });
    if (disorder.length > 0)
      throw new PricesError(
        "DATE_ORDER",
        `${source}: each ticker's dates must be strictly ascending (${disorder.join("; ")})`,
      );
    panelDates = [...new Set(dates)].sort();
    tickers = [...perTicker.keys()].sort();
    const dateIndex = new Map(panelDates.map((d, i) => [d, i]));
    const nD = panelDates.length;
    checkCells(source, nD, tickers.length);
    closes = new Float64Array(tickers.length * nD).fill(Number.NaN);
    tickers.forEach((t, j) => {
      for (const { date, row, cells } of entryOf(perTicker, t, "rows per ticker"))
        closes[j * nD + entryOf(dateIndex, date, "panel dates")] = checkPrice(cells[closeCol], row, t);
    });
  } else {
    dates.forEach((date, i) => {
      const prev = dates[i - 1];
      if (prev !== undefined && date <= prev)
        throw new PricesError(
          "DATE_ORDER",
          `${source}: dates must be strictly ascending: ${date} follows ${prev} (${where(i)})`,
        );
    });
    const cols = table.header.flatMap((h, c) => (c === dateCol ? [] : [{ c, ticker: h.trim() }]));
    if (cols.length === 0) throw new PricesError("FORMAT", `${source}: no ticker columns beside the date`);
    tickers = cols.map(({ ticker }) => ticker);
    panelDates = dates;
    const nD = panelDates.length;
    checkCells(source, nD, tickers.length);
    closes = new Float64Array(tickers.length * nD);
    cols.forEach(({ c, ticker }, j) =>
      table.rows.forEach((cells, i) => (closes[j * nD + i] = checkPrice(cells[c], i, ticker))),
    );
  }
  if (badPrices.length > 0)
    throw new PricesError(
      "BAD_PRICE",
      `${source}: prices must be positive finite numbers (${badPrices.join("; ")})`,
    );

  const panel: PricePanel = { dates: panelDates, tickers, closes };
  return { panel, report: describe(panel, source, long ? "long" : "wide") };
}

/** Gaps (missing closes between a ticker's first and last price) and stale tickers. */
export function describe(panel: PricePanel, source: string, layout: "long" | "wide"): PriceReport {
  const nD = panel.dates.length;
  const gaps: PriceGap[] = [];
  const staleTickers: string[] = [];
  panel.tickers.forEach((ticker, j) => {
    const s = panel.closes.subarray(j * nD, (j + 1) * nD);
    let first = 0;
    while (first < nD && Number.isNaN(s[first]!)) first++;
    let last = nD - 1;
    while (last >= 0 && Number.isNaN(s[last]!)) last--;
    if (last < nD - 1) staleTickers.push(ticker);
    for (let i = first; i <= last; i++) {
      if (!Number.isNaN(s[i]!)) continue;
      let k = i;
      while (k + 1 <= last && Number.isNaN(s[k + 1]!)) k++;
      gaps.push({ ticker, from: panel.dates[i]!, to: panel.dates[k]!, missing: k - i + 1 });
      i = k;
    }
  });
  return {
    source,
    layout,
    dates: nD,
    tickers: panel.tickers.length,
    firstDate: panel.dates[0] ?? "",
    lastDate: panel.dates[nD - 1] ?? "",
    gaps,
    staleTickers,
  };
}
