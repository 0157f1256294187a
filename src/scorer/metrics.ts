import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import {
  ALPHA_QUANTILE_LABEL,
  ALPHA_QUANTILES,
  metricHelp,
  REQUEST_DURATION_BUCKETS,
  SCORER_METRICS,
} from "../monitoring/metric-names.js";

/**
 * The scorer's Prometheus metrics, names kept from the original MAIE API
 * (design §6). One registry per server instance, so tests can run
 * several servers in one process.
 */

const n = SCORER_METRICS;

/** The quantile (linear interpolation) of sorted finite values; NaN when empty. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Values of `maie_explain_local_fallback_total{kind}` (see docs/scorer.md). */
export const EXPLAIN_LOCAL_FALLBACK_KINDS = [
  "features_panel_missing",
  "feature_skew",
  "ticker_not_in_features",
] as const;
export type ExplainLocalFallbackKind = (typeof EXPLAIN_LOCAL_FALLBACK_KINDS)[number];

export class ScorerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"endpoint" | "method" | "code">;
  readonly requestDuration: Histogram<"endpoint">;
  readonly expectedLatestTimestamp: Gauge;
  readonly expectedTickers: Gauge;
  readonly expectedAlphaQuantile: Gauge<typeof ALPHA_QUANTILE_LABEL>;
  readonly modelLoaded: Gauge;
  readonly modelInfo: Gauge<"format" | "sha256" | "trees" | "features">;
  readonly modelReloadFailures: Counter;
  readonly panelReloadFailures: Counter<"file">;
  readonly explainLocalFallback: Counter<"kind">;
  readonly featureSkew: Counter;
  /** Registered on the first success only: absent before it (the catalogue's contract). */
  readonly #pipelineLastSuccess = new Gauge({
    name: n.pipelineLastSuccessTimestamp,
    help: metricHelp(n.pipelineLastSuccessTimestamp),
    registers: [],
  });
  readonly #backupLastSuccess = new Gauge({
    name: n.backupLastSuccessTimestamp,
    help: metricHelp(n.backupLastSuccessTimestamp),
    registers: [],
  });

  constructor(options: { readonly defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: n.apiRequestsTotal,
      help: metricHelp(n.apiRequestsTotal),
      labelNames: ["endpoint", "method", "code"],
      registers,
    });
    this.requestDuration = new Histogram({
      name: n.apiRequestDurationSeconds,
      help: metricHelp(n.apiRequestDurationSeconds),
      labelNames: ["endpoint"],
      buckets: [...REQUEST_DURATION_BUCKETS],
      registers,
    });
    this.expectedLatestTimestamp = new Gauge({
      name: n.expectedLatestTimestamp,
      help: metricHelp(n.expectedLatestTimestamp),
      registers,
    });
    this.expectedTickers = new Gauge({
      name: n.expectedTickers,
      help: metricHelp(n.expectedTickers),
      registers,
    });
    this.expectedAlphaQuantile = new Gauge({
      name: n.expectedAlphaQuantile,
      help: metricHelp(n.expectedAlphaQuantile),
      labelNames: [ALPHA_QUANTILE_LABEL],
      registers,
    });
    this.modelLoaded = new Gauge({ name: n.modelLoaded, help: metricHelp(n.modelLoaded), registers });
    this.modelInfo = new Gauge({
      name: n.modelInfo,
      help: metricHelp(n.modelInfo),
      labelNames: ["format", "sha256", "trees", "features"],
      registers,
    });
    this.modelReloadFailures = new Counter({
      name: n.modelReloadFailuresTotal,
      help: metricHelp(n.modelReloadFailuresTotal),
      registers,
    });
    this.panelReloadFailures = new Counter({
      name: n.panelReloadFailuresTotal,
      help: metricHelp(n.panelReloadFailuresTotal),
      labelNames: ["file"],
      registers,
    });
    this.explainLocalFallback = new Counter({
      name: n.explainLocalFallbackTotal,
      help: metricHelp(n.explainLocalFallbackTotal),
      labelNames: ["kind"],
      registers,
    });
    this.featureSkew = new Counter({
      name: n.featureSkewTotal,
      help: metricHelp(n.featureSkewTotal),
      registers,
    });
    // Known label values start at 0, so rate() and increase() see the first failure.
    for (const file of ["expected", "features"]) this.panelReloadFailures.inc({ file }, 0);
    for (const kind of EXPLAIN_LOCAL_FALLBACK_KINDS) this.explainLocalFallback.inc({ kind }, 0);
    this.modelLoaded.set(0);
    this.expectedLatestTimestamp.set(0);
    this.expectedTickers.set(0);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  setModel(info: { format: string; sha256: string; trees: number; features: number } | null): void {
    this.modelInfo.reset();
    if (info === null) {
      this.modelLoaded.set(0);
      return;
    }
    const labels = {
      format: info.format,
      sha256: info.sha256,
      trees: String(info.trees),
      features: String(info.features),
    };
    this.modelInfo.set(labels, 1);
    this.modelLoaded.set(1);
  }

  /** The panel being served: when it was written, its size and its alpha distribution. */
  setExpected(writtenAtSeconds: number, alphas: Iterable<number>): void {
    this.expectedLatestTimestamp.set(writtenAtSeconds);
    const finite = Float64Array.from([...alphas].filter(Number.isFinite)).sort();
    this.expectedTickers.set(finite.length);
    this.expectedAlphaQuantile.reset();
    if (finite.length > 0)
      for (const q of ALPHA_QUANTILES)
        this.expectedAlphaQuantile.set({ [ALPHA_QUANTILE_LABEL]: q }, quantile(finite, Number(q)));
  }

  setPipelineLastSuccess(seconds: number): void {
    this.#setLazy(n.pipelineLastSuccessTimestamp, this.#pipelineLastSuccess, seconds);
  }

  setBackupLastSuccess(seconds: number): void {
    this.#setLazy(n.backupLastSuccessTimestamp, this.#backupLastSuccess, seconds);
  }

  #setLazy(name: string, gauge: Gauge, value: number): void {
    if (this.registry.getSingleMetric(name) === undefined) this.registry.registerMetric(gauge);
    gauge.set(value);
  }
}
