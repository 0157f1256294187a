import type { ExpectedPanel } from "../panel/index.js";
import { meanAbsShap } from "../treeshap/importance.js";
import { turnover, type Turnover } from "./stats.js";

/** Everything the daily report shows; the pipeline fills it, {@link renderReport} is pure. */
export interface ReportInput {
  readonly asOf: string;
  readonly generatedAt: string;
  readonly featureSet: string;
  readonly tickers: readonly string[];
  /** Alpha per ticker (margin-space prediction). */
  readonly alpha: Float64Array;
  readonly featureNames: readonly string[];
  /** `tickers × featureNames`, row-major. */
  readonly featureValues: Float64Array;
  /** `tickers × (featureNames + 1)`, bias last. */
  readonly shap: Float64Array;
  readonly previous: ExpectedPanel | null;
  readonly model: {
    readonly path: string;
    readonly format: string;
    readonly sha256: string;
    readonly trees: number;
    readonly modifiedAt: string;
  };
  readonly prices: {
    readonly source: string;
    readonly firstDate: string;
    readonly lastDate: string;
    readonly dates: number;
    readonly gaps: number;
    readonly staleTickers: readonly string[];
  };
  /** Rows in each of the top and bottom tables. @default 10 */
  readonly topN?: number;
  /** Waterfalls drawn (for the top names). @default 5 */
  readonly waterfalls?: number;
}

/** The Content-Security-Policy of the report: nothing may be fetched. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const POS = "#1a7f37";
const NEG = "#cf222e";
const INK = "#1f2328";
const MUTED = "#656d76";
const GRID = "#d0d7de";

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return "–";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
  return x.toFixed(digits);
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "–";
}

function ageDays(from: string, to: string): number {
  return Math.floor((Date.parse(to) - Date.parse(`${from.slice(0, 10)}T00:00:00Z`)) / 86_400_000);
}

function alphaTable(
  title: string,
  rows: readonly { ticker: string; alpha: number }[],
  maxAbs: number,
): string {
  const w = 160;
  const body = rows
    .map(({ ticker, alpha }) => {
      const len = maxAbs > 0 ? (Math.abs(alpha) / maxAbs) * (w / 2) : 0;
      const x = alpha >= 0 ? w / 2 : w / 2 - len;
      return `<tr><td class="t">${esc(ticker)}</td><td class="n">${num(alpha)}</td><td><svg width="${w}" height="14" role="img" aria-label="${esc(ticker)} alpha"><line x1="${w / 2}" x2="${w / 2}" y1="0" y2="14" stroke="${GRID}"/><rect x="${x.toFixed(1)}" y="2" width="${Math.max(1, len).toFixed(1)}" height="10" fill="${alpha >= 0 ? POS : NEG}"/></svg></td></tr>`;
    })
    .join("");
  return `<div class="card"><h2>${esc(title)}</h2><table data-table="${title.startsWith("Top") ? "top" : "bottom"}"><thead><tr><th>Ticker</th><th>Alpha</th><th></th></tr></thead><tbody>${body}</tbody></table></div>`;
}

function histogram(values: readonly number[]): string {
  const W = 520;
  const H = 220;
  const pad = { l: 40, r: 10, t: 10, b: 36 };
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return `<p class="muted">No finite alphas.</p>`;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const nBins = Math.min(30, Math.max(5, Math.ceil(Math.sqrt(finite.length))));
  const width = hi > lo ? (hi - lo) / nBins : 1;
  const counts = new Array<number>(nBins).fill(0);
  for (const v of finite) counts[Math.min(nBins - 1, Math.floor((v - lo) / width))]!++;
  const maxC = Math.max(...counts);
  const bw = (W - pad.l - pad.r) / nBins;
  const ih = H - pad.t - pad.b;
  const bars = counts
    .map((c, i) => {
      const h = (c / maxC) * ih;
      const mid = lo + (i + 0.5) * width;
      return `<rect class="bar" x="${(pad.l + i * bw + 1).toFixed(1)}" y="${(pad.t + ih - h).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${mid >= 0 ? POS : NEG}" opacity="0.8"><title>${num(lo + i * width)} … ${num(lo + (i + 1) * width)}: ${c}</title></rect>`;
    })
    .join("");
  const zeroX = hi > lo && lo < 0 && hi > 0 ? pad.l + ((0 - lo) / (hi - lo)) * (W - pad.l - pad.r) : null;
  return `<svg data-chart="histogram" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Alpha distribution">
<line x1="${pad.l}" x2="${W - pad.r}" y1="${pad.t + ih}" y2="${pad.t + ih}" stroke="${MUTED}"/>
<line x1="${pad.l}" x2="${pad.l}" y1="${pad.t}" y2="${pad.t + ih}" stroke="${MUTED}"/>
${bars}
${zeroX === null ? "" : `<line x1="${zeroX.toFixed(1)}" x2="${zeroX.toFixed(1)}" y1="${pad.t}" y2="${pad.t + ih}" stroke="${INK}" stroke-dasharray="3 3"/>`}
<text x="${pad.l}" y="${H - 18}" class="ax">${num(lo)}</text>
<text x="${W - pad.r}" y="${H - 18}" class="ax" text-anchor="end">${num(hi)}</text>
<text x="${(W + pad.l) / 2}" y="${H - 4}" class="ax" text-anchor="middle">alpha (${finite.length} tickers, ${nBins} bins)</text>
<text x="${pad.l - 6}" y="${pad.t + 10}" class="ax" text-anchor="end">${maxC}</text>
<text x="${pad.l - 6}" y="${pad.t + ih}" class="ax" text-anchor="end">0</text>
</svg>`;
}

function importanceChart(names: readonly string[], importance: Float64Array, top = 15): string {
  const order = names
    .map((_, i) => i)
    .sort((a, b) => importance[b]! - importance[a]!)
    .slice(0, top);
  const W = 520;
  const rowH = 20;
  const labelW = 150;
  const H = order.length * rowH + 24;
  const max = Math.max(...order.map((i) => importance[i]!), 0);
  const bars = order
    .map((f, k) => {
      const w = max > 0 ? (importance[f]! / max) * (W - labelW - 70) : 0;
      const y = k * rowH + 4;
      return `<text x="${labelW - 6}" y="${y + 13}" class="lbl" text-anchor="end">${esc(names[f]!)}</text><rect class="bar" x="${labelW}" y="${y + 2}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 6}" fill="#0969da"/><text x="${(labelW + w + 4).toFixed(1)}" y="${y + 13}" class="ax">${num(importance[f]!)}</text>`;
    })
    .join("");
  return `<svg data-chart="importance" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Global feature importance">${bars}<text x="${labelW}" y="${H - 4}" class="ax">mean |SHAP| over the panel</text></svg>`;
}

function waterfall(
  ticker: string,
  names: readonly string[],
  values: Float64Array,
  shapRow: Float64Array,
  base: number,
  prediction: number,
  maxSteps = 8,
): string {
  const order = names.map((_, i) => i).sort((a, b) => Math.abs(shapRow[b]!) - Math.abs(shapRow[a]!));
  const shown = order.slice(0, maxSteps);
  const rest = order.slice(maxSteps);
  const steps: { label: string; delta: number }[] = shown.map((f) => ({
    label: `${names[f]} = ${num(values[f]!, 3)}`,
    delta: shapRow[f]!,
  }));
  if (rest.length > 0)
    steps.push({ label: `${rest.length} other features`, delta: rest.reduce((s, f) => s + shapRow[f]!, 0) });
  let running = base;
  const points = [base, ...steps.map((s) => (running += s.delta))];
  const lo = Math.min(...points, prediction);
  const hi = Math.max(...points, prediction);
  const W = 520;
  const labelW = 190;
  const rowH = 20;
  const H = (steps.length + 2) * rowH + 8;
  const plotW = W - labelW - 70;
  const sx = (v: number) => labelW + (hi > lo ? ((v - lo) / (hi - lo)) * plotW : plotW / 2);
  let y = 4;
  const rows: string[] = [];
  const marker = (label: string, v: number) => {
    rows.push(
      `<text x="${labelW - 6}" y="${y + 13}" class="lbl b" text-anchor="end">${esc(label)}</text><rect x="${(sx(v) - 1.5).toFixed(1)}" y="${y + 1}" width="3" height="${rowH - 4}" fill="${INK}"/><text x="${(sx(v) + 6).toFixed(1)}" y="${y + 13}" class="ax">${num(v)}</text>`,
    );
    y += rowH;
  };
  marker("base value", base);
  let at = base;
  for (const s of steps) {
    const x0 = sx(Math.min(at, at + s.delta));
    const x1 = sx(Math.max(at, at + s.delta));
    rows.push(
      `<text x="${labelW - 6}" y="${y + 13}" class="lbl" text-anchor="end">${esc(s.label.length > 30 ? s.label.slice(0, 29) + "…" : s.label)}</text><rect class="bar" x="${x0.toFixed(1)}" y="${y + 3}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${rowH - 8}" fill="${s.delta >= 0 ? POS : NEG}"><title>${esc(s.label)}: ${num(s.delta)}</title></rect><text x="${(x1 + 4).toFixed(1)}" y="${y + 13}" class="ax">${s.delta >= 0 ? "+" : ""}${num(s.delta)}</text>`,
    );
    at += s.delta;
    y += rowH;
  }
  marker("prediction", prediction);
  return `<div class="card wf"><h3>${esc(ticker)} <span class="muted">alpha ${num(prediction)}</span></h3><svg data-chart="waterfall" data-ticker="${esc(ticker)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="SHAP waterfall for ${esc(ticker)}">${rows.join("")}</svg></div>`;
}

function turnoverBlock(t: Turnover | null): string {
  if (t === null)
    return `<p class="muted">No previous panel: this is the first run (turnover starts tomorrow).</p>`;
  return `<table data-table="turnover"><tbody>
<tr><th>Previous panel</th><td>${esc(t.previousAsOf)}</td></tr>
<tr><th>Tickers in both</th><td>${t.common} (added ${t.added}, removed ${t.removed})</td></tr>
<tr><th>Rank correlation with previous</th><td>${num(t.rankCorrelation, 3)}</td></tr>
<tr><th>Top-quintile turnover</th><td>${pct(t.topQuintileTurnover)}</td></tr>
<tr><th>Mean |Δ alpha|</th><td>${num(t.meanAbsChange)}</td></tr>
</tbody></table>`;
}

/** One self-contained HTML page (inline CSS and SVG, a CSP that forbids every fetch). Pure. */
export function renderReport(input: ReportInput): string {
  const n = input.tickers.length;
  const nF = input.featureNames.length;
  const topN = input.topN ?? 10;
  const rows = input.tickers
    .map((ticker, i) => ({ ticker, alpha: input.alpha[i]!, i }))
    .filter((r) => Number.isFinite(r.alpha))
    .sort((a, b) => b.alpha - a.alpha);
  const maxAbs = Math.max(0, ...rows.map((r) => Math.abs(r.alpha)));
  const top = rows.slice(0, topN);
  const bottom = rows.slice(-topN).reverse();
  const importance = meanAbsShap(input.shap, n, nF);
  const current: ExpectedPanel = { asOf: input.asOf, tickers: input.tickers, alpha: input.alpha };
  const t = input.previous === null ? null : turnover(input.previous, current);
  const stride = nF + 1;
  const waterfalls = top
    .slice(0, input.waterfalls ?? 5)
    .map((r) =>
      waterfall(
        r.ticker,
        input.featureNames,
        input.featureValues.subarray(r.i * nF, (r.i + 1) * nF),
        input.shap.subarray(r.i * stride, (r.i + 1) * stride),
        input.shap[r.i * stride + nF]!,
        r.alpha,
      ),
    )
    .join("");
  const dataAge = ageDays(input.prices.lastDate, input.generatedAt);
  const modelAge = ageDays(input.model.modifiedAt, input.generatedAt);
  const stale = input.prices.staleTickers;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MAIE daily report ${esc(input.asOf)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:${INK};background:#f6f8fa;margin:0}
header{background:#24292f;color:#fff;padding:16px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#d0d7de}
main{max-width:1120px;margin:0 auto;padding:18px 20px;display:grid;grid-template-columns:1fr 1fr;gap:16px}
.card{background:#fff;border:1px solid ${GRID};border-radius:8px;padding:12px 16px}.wide{grid-column:1/-1}
h2{font-size:15px;margin:0 0 8px}h3{font-size:14px;margin:0 0 4px}
table{border-collapse:collapse;width:100%}td,th{padding:2px 6px;text-align:left;font-size:13px}th{color:${MUTED};font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.t{font-weight:600}
.muted{color:${MUTED};font-weight:normal}.ax{font-size:11px;fill:${MUTED}}.lbl{font-size:12px;fill:${INK}}.b{font-weight:600}
.wfs{display:grid;grid-template-columns:1fr 1fr;gap:12px}.warn{color:${NEG}}
.kv th{width:42%}
</style></head>
<body>
<header><h1>MAIE daily report: ${esc(input.asOf)}</h1><p>${n} tickers scored · feature set ${esc(input.featureSet)} · ${esc(input.model.format)} model, ${input.model.trees} trees · generated ${esc(input.generatedAt)}</p></header>
<main>
${alphaTable(`Top ${top.length} alphas`, top, maxAbs)}
${alphaTable(`Bottom ${bottom.length} alphas`, bottom, maxAbs)}
<div class="card"><h2>Alpha distribution</h2>${histogram(rows.map((r) => r.alpha))}</div>
<div class="card"><h2>Global importance</h2>${importanceChart(input.featureNames, importance)}</div>
<div class="card wide"><h2>Why the top names score high <span class="muted">(SHAP waterfalls, margin space: base value + contributions = alpha)</span></h2><div class="wfs">${waterfalls}</div></div>
<div class="card"><h2>Turnover against the previous panel</h2>${turnoverBlock(t)}</div>
<div class="card"><h2>Freshness</h2><table class="kv" data-table="freshness"><tbody>
<tr><th>Prices</th><td>${esc(input.prices.firstDate)} … ${esc(input.prices.lastDate)} (${input.prices.dates} dates)</td></tr>
<tr><th>Data age</th><td class="${dataAge > 4 ? "warn" : ""}">${dataAge} day(s) at generation</td></tr>
<tr><th>Gaps in price history</th><td>${input.prices.gaps}</td></tr>
<tr><th>Tickers without a latest price</th><td class="${stale.length > 0 ? "warn" : ""}">${stale.length === 0 ? "none" : esc(stale.slice(0, 10).join(", ") + (stale.length > 10 ? ` … (${stale.length})` : ""))}</td></tr>
<tr><th>Price source</th><td>${esc(input.prices.source)}</td></tr>
<tr><th>Model</th><td>${esc(input.model.path)} (${esc(input.model.format)})</td></tr>
<tr><th>Model file age</th><td>${modelAge} day(s), modified ${esc(input.model.modifiedAt)}</td></tr>
<tr><th>Model sha256</th><td><code>${esc(input.model.sha256.slice(0, 16))}…</code></td></tr>
</tbody></table></div>
</main></body></html>
`;
}
