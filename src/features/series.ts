import { TRADING_DAYS, requiredHistory, type TimeSeriesKind } from "./definitions.js";

/**
 * One time-series feature of one ticker at index `t` of its close history
 * (`closes[0..t]` are visible, nothing after `t`). Returns `NaN` when the
 * window reaches before the first close or contains a missing (`NaN`) close.
 */
export function timeSeriesFeature(closes: Float64Array, t: number, spec: TimeSeriesKind): number {
  if (t + 1 < requiredHistory(spec) || t >= closes.length) return Number.NaN;
  switch (spec.kind) {
    case "return":
      return closes[t]! / closes[t - spec.horizon]! - 1;
    case "volatility":
      return volatility(closes, t, spec.window);
    case "momentum":
      return closes[t - spec.skip]! / closes[t - spec.from]! - 1;
    case "maRatio":
      return closes[t]! / mean(closes, t - spec.window + 1, t + 1) - 1;
    case "maCross":
      return mean(closes, t - spec.fast + 1, t + 1) / mean(closes, t - spec.slow + 1, t + 1) - 1;
    case "rsi":
      return rsi(closes, t, spec.window);
    case "drawdown": {
      let high = Number.NEGATIVE_INFINITY;
      for (let i = t - spec.window + 1; i <= t; i++) high = closes[i]! > high ? closes[i]! : high;
      // A NaN close never wins the comparison above: catch it explicitly.
      for (let i = t - spec.window + 1; i <= t; i++) if (Number.isNaN(closes[i]!)) return Number.NaN;
      return closes[t]! / high - 1;
    }
  }
}

function mean(x: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]!;
  return s / (to - from);
}

function volatility(closes: Float64Array, t: number, window: number): number {
  let s = 0;
  let s2 = 0;
  for (let i = t - window + 1; i <= t; i++) {
    const r = Math.log(closes[i]! / closes[i - 1]!);
    s += r;
    s2 += r * r;
  }
  const m = s / window;
  const variance = Math.max(0, (s2 - window * m * m) / (window - 1));
  return Math.sqrt(variance * TRADING_DAYS);
}

function rsi(closes: Float64Array, t: number, window: number): number {
  let gain = 0;
  let loss = 0;
  for (let i = t - window + 1; i <= t; i++) {
    const d = closes[i]! - closes[i - 1]!;
    if (d > 0) gain += d;
    else loss -= d;
  }
  if (Number.isNaN(gain) || Number.isNaN(loss)) return Number.NaN;
  if (loss === 0) return gain === 0 ? 50 : 100;
  return 100 - 100 / (1 + gain / loss);
}

/** Percentile ranks in [0, 1] of the finite values (ties averaged); `NaN` stays `NaN`. */
export function crossSectionalRank(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) idx.push(i);
  idx.sort((a, b) => values[a]! - values[b]!);
  const n = idx.length;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && values[idx[j + 1]!] === values[idx[i]!]) j++;
    const avgRank = (i + j) / 2;
    for (let k = i; k <= j; k++) out[idx[k]!] = n === 1 ? 0.5 : avgRank / (n - 1);
    i = j + 1;
  }
  return out;
}

/** Z-scores of the finite values (population std); all-equal values give 0; `NaN` stays `NaN`. */
export function crossSectionalZscore(values: Float64Array): Float64Array {
  let n = 0;
  let s = 0;
  for (const v of values)
    if (Number.isFinite(v)) {
      n++;
      s += v;
    }
  const m = s / n;
  let ss = 0;
  for (const v of values) if (Number.isFinite(v)) ss += (v - m) * (v - m);
  const sd = Math.sqrt(ss / n);
  return values.map((v) => (Number.isFinite(v) ? (sd > 0 ? (v - m) / sd : 0) : Number.NaN));
}
