/**
 * The in-memory price panel every stage of the pipeline works on: a dense
 * dates × tickers matrix of closing prices.
 *
 * Layout: `closes` is ticker-major, `closes[t * dates.length + d]` is the
 * close of `tickers[t]` on `dates[d]`, so one ticker's history is the
 * contiguous `closes.subarray(t * nDates, (t + 1) * nDates)`. A missing price
 * is `NaN`. Dates are ISO `YYYY-MM-DD` strings in strictly ascending order.
 */
export interface PricePanel {
  readonly dates: readonly string[];
  readonly tickers: readonly string[];
  readonly closes: Float64Array;
}

/** The contiguous close history of ticker number `t` (a view, not a copy). */
export function tickerSeries(panel: PricePanel, t: number): Float64Array {
  const n = panel.dates.length;
  return panel.closes.subarray(t * n, (t + 1) * n);
}

/**
 * Builds a panel from undated close arrays, right-aligned on their last
 * element (the shape of the scorer's `POST /score` body,
 * `{"prices": {"TICKER": [closes...]}}`, oldest first). Shorter series are
 * padded with `NaN` at the start. The synthetic dates are `d-<k>` labels
 * (`d-0` is the latest), since the input carries none.
 *
 * `maxHistory` keeps only each series' last `maxHistory` closes, cut before
 * padding: the panel is `tickers × min(longest, maxHistory)`, so one long
 * series cannot make every other ticker's row that long (the features read
 * at most their lookback, `MAX_LOOKBACK_V1`).
 */
export function panelFromCloseArrays(
  prices: Readonly<Record<string, readonly number[] | Float64Array>>,
  maxHistory: number = Number.POSITIVE_INFINITY,
): PricePanel {
  const entries = Object.entries(prices);
  const tickers = entries.map(([ticker]) => ticker);
  const longest = entries.reduce((m, [, series]) => Math.max(m, series.length), 0);
  const nDates = Math.min(longest, maxHistory);
  const closes = new Float64Array(tickers.length * nDates).fill(Number.NaN);
  entries.forEach(([, series], t) => {
    const kept = Math.min(series.length, nDates);
    closes.set(series.slice(series.length - kept), t * nDates + (nDates - kept));
  });
  const dates = Array.from({ length: nDates }, (_, i) => `d-${nDates - 1 - i}`);
  return { dates, tickers, closes };
}
