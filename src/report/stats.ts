import type { ExpectedPanel } from "../panel/index.js";

export interface Turnover {
  readonly previousAsOf: string;
  readonly common: number;
  readonly added: number;
  readonly removed: number;
  /** Spearman rank correlation of the alphas of tickers in both panels. */
  readonly rankCorrelation: number;
  /** Share of the current top quintile that was not in the previous top quintile. */
  readonly topQuintileTurnover: number;
  readonly meanAbsChange: number;
}

function ranks(values: readonly number[]): number[] {
  const idx = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const r = new Array<number>(values.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && values[idx[j + 1]!] === values[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  if (n < 2) return Number.NaN;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : Number.NaN;
}

function topQuintile(tickers: readonly string[], alpha: readonly number[]): Set<string> {
  const order = tickers.map((_, i) => i).sort((a, b) => alpha[b]! - alpha[a]!);
  return new Set(order.slice(0, Math.max(1, Math.ceil(order.length / 5))).map((i) => tickers[i]!));
}

/** Turnover of the new panel against the previous one (finite alphas only). */
export function turnover(previous: ExpectedPanel, current: ExpectedPanel): Turnover {
  const prev = new Map<string, number>();
  previous.tickers.forEach((t, i) => Number.isFinite(previous.alpha[i]!) && prev.set(t, previous.alpha[i]!));
  const cur = new Map<string, number>();
  current.tickers.forEach((t, i) => Number.isFinite(current.alpha[i]!) && cur.set(t, current.alpha[i]!));
  const common = [...cur.keys()].filter((t) => prev.has(t));
  const a = common.map((t) => prev.get(t)!);
  const b = common.map((t) => cur.get(t)!);
  const topPrev = topQuintile(common, a);
  const topNow = topQuintile(common, b);
  const stayed = [...topNow].filter((t) => topPrev.has(t)).length;
  return {
    previousAsOf: previous.asOf,
    common: common.length,
    added: [...cur.keys()].filter((t) => !prev.has(t)).length,
    removed: [...prev.keys()].filter((t) => !cur.has(t)).length,
    rankCorrelation: pearson(ranks(a), ranks(b)),
    topQuintileTurnover: common.length === 0 ? Number.NaN : 1 - stayed / topNow.size,
    meanAbsChange:
      common.length === 0
        ? Number.NaN
        : common.reduce((s, _, i) => s + Math.abs(b[i]! - a[i]!), 0) / common.length,
  };
}
