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

function topQuintile(alphas: ReadonlyMap<string, number>): Set<string> {
  const order = [...alphas].sort(([, a], [, b]) => b - a);
  return new Set(order.slice(0, Math.max(1, Math.ceil(order.length / 5))).map(([t]) => t));
}

function finiteAlphas(panel: ExpectedPanel): Map<string, number> {
  const out = new Map<string, number>();
  panel.alpha.forEach((alpha, i) => {
    const t = panel.tickers[i];
    if (t !== undefined && Number.isFinite(alpha)) out.set(t, alpha);
  });
  return out;
}

/** Turnover of the new panel against the previous one (finite alphas only). */
export function turnover(previous: ExpectedPanel, current: ExpectedPanel): Turnover {
  const prev = finiteAlphas(previous);
  const cur = finiteAlphas(current);
  const pairs = [...cur].flatMap(([t, now]) => {
    const before = prev.get(t);
    return before === undefined ? [] : [{ t, before, now }];
  });
  const common = pairs.map(({ t }) => t);
  const a = pairs.map(({ before }) => before);
  const b = pairs.map(({ now }) => now);
  const topPrev = topQuintile(new Map(pairs.map(({ t, before }) => [t, before])));
  const topNow = topQuintile(new Map(pairs.map(({ t, now }) => [t, now])));
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
        : pairs.reduce((s, { before, now }) => s + Math.abs(now - before), 0) / common.length,
  };
}
