import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The scorer's Prometheus metrics, names kept from the original MAIE API
 * (SPEC section 6). One registry per server instance, so tests can run
 * several servers in one process.
 */

export const SCORER_METRIC_NAMES = {
  requests: "maie_api_requests_total",
  requestDuration: "maie_api_request_duration_seconds",
  expectedLatestTimestamp: "maie_expected_latest_timestamp",
  modelLoaded: "maie_model_loaded",
  modelInfo: "maie_model_info",
  modelReloadFailures: "maie_model_reload_failures_total",
  panelReloadFailures: "maie_panel_reload_failures_total",
  explainLocalFallback: "maie_explain_local_fallback_total",
  featureSkew: "maie_feature_skew_total",
  pipelineLastSuccess: "maie_pipeline_last_success_timestamp",
  backupLastSuccess: "maie_backup_last_success_timestamp",
} as const;

/** Buckets around the SPEC 9 targets (10 ms explain_local) and alert thresholds (200/400 ms). */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 1, 2.5, 5, 10];

export class ScorerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"endpoint" | "method" | "code">;
  readonly requestDuration: Histogram<"endpoint">;
  readonly expectedLatestTimestamp: Gauge;
  readonly modelLoaded: Gauge;
  readonly modelInfo: Gauge<"format" | "sha256" | "trees" | "features">;
  readonly modelReloadFailures: Counter;
  readonly panelReloadFailures: Counter<"file">;
  readonly explainLocalFallback: Counter<"kind">;
  readonly featureSkew: Counter;
  readonly pipelineLastSuccess: Gauge;
  readonly backupLastSuccess: Gauge;

  constructor(options: { readonly defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const n = SCORER_METRIC_NAMES;
    this.requests = new Counter({
      name: n.requests,
      help: "API requests by endpoint, method and status code",
      labelNames: ["endpoint", "method", "code"],
      registers,
    });
    this.requestDuration = new Histogram({
      name: n.requestDuration,
      help: "API request duration in seconds",
      labelNames: ["endpoint"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.expectedLatestTimestamp = new Gauge({
      name: n.expectedLatestTimestamp,
      help: "Unix time of the date of the expected panel being served (0 when none)",
      registers,
    });
    this.modelLoaded = new Gauge({
      name: n.modelLoaded,
      help: "1 when a model is loaded and serving, else 0",
      registers,
    });
    this.modelInfo = new Gauge({
      name: n.modelInfo,
      help: "The model being served (value 1)",
      labelNames: ["format", "sha256", "trees", "features"],
      registers,
    });
    this.modelReloadFailures = new Counter({
      name: n.modelReloadFailures,
      help: "Model files that failed to load; the last good model kept serving",
      registers,
    });
    this.panelReloadFailures = new Counter({
      name: n.panelReloadFailures,
      help: "Expected/features panel files that failed to load; the last good panel kept serving",
      labelNames: ["file"],
      registers,
    });
    this.explainLocalFallback = new Counter({
      name: n.explainLocalFallback,
      help: "explain_local requests that could not take the stored-panel path, by kind",
      labelNames: ["kind"],
      registers,
    });
    this.featureSkew = new Counter({
      name: n.featureSkew,
      help: "Times the model's feature names did not match the available features",
      registers,
    });
    this.pipelineLastSuccess = new Gauge({
      name: n.pipelineLastSuccess,
      help: "Unix time of the last successful pipeline run (from runs/pipeline-last.json; 0 when unknown)",
      registers,
    });
    this.backupLastSuccess = new Gauge({
      name: n.backupLastSuccess,
      help: "Unix time of the last successful backup (from runs/backup-last.json; 0 when unknown)",
      registers,
    });
    this.modelLoaded.set(0);
    this.expectedLatestTimestamp.set(0);
    this.pipelineLastSuccess.set(0);
    this.backupLastSuccess.set(0);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  setModel(info: { format: string; sha256: string; trees: number; features: number } | null): void {
    this.modelInfo.reset();
    if (info === null) {
      this.modelLoaded.set(0);
      return;
    }
    this.modelInfo.set(
      {
        format: info.format,
        sha256: info.sha256,
        trees: String(info.trees),
        features: String(info.features),
      },
      1,
    );
    this.modelLoaded.set(1);
  }
}
