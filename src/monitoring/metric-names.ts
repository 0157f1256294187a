/**
 * The catalogue of metrics MAIE itself exports (design §6). The scorer
 * and the operator import the names (and help texts) from here when they
 * register their metrics; the alert rules and dashboards import them too, and
 * a unit test proves that every metric an alert or a dashboard reads is either
 * in this catalogue or a documented standard metric (`standard-metrics.ts`).
 *
 * What this file cannot prove is that the processes really export these
 * names: that is checked against a live `/metrics` by the scorer and operator
 * tests (see docs/monitoring.md, "Consistency").
 */

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricDoc {
  /** The metric family name (for a histogram: without `_bucket`/`_sum`/`_count`). */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Label names the metric carries (besides the target labels Prometheus adds). */
  readonly labels: readonly string[];
  /** The process that exports it. */
  readonly exporter: "scorer" | "operator";
}

/** Scorer metric names (names kept from the original MAIE). */
export const SCORER_METRICS = {
  apiRequestsTotal: "maie_api_requests_total",
  apiRequestDurationSeconds: "maie_api_request_duration_seconds",
  expectedLatestTimestamp: "maie_expected_latest_timestamp",
  expectedTickers: "maie_expected_tickers",
  expectedAlphaQuantile: "maie_expected_alpha_quantile",
  panelReloadFailuresTotal: "maie_panel_reload_failures_total",
  modelLoaded: "maie_model_loaded",
  modelInfo: "maie_model_info",
  modelReloadFailuresTotal: "maie_model_reload_failures_total",
  explainLocalFallbackTotal: "maie_explain_local_fallback_total",
  featureSkewTotal: "maie_feature_skew_total",
  pipelineLastSuccessTimestamp: "maie_pipeline_last_success_timestamp",
  backupLastSuccessTimestamp: "maie_backup_last_success_timestamp",
} as const;

/** Operator metric names. */
export const OPERATOR_METRICS = {
  reconcileTotal: "maie_operator_reconcile_total",
  reconcileDurationSeconds: "maie_operator_reconcile_duration_seconds",
  workqueueDepth: "maie_operator_workqueue_depth",
  applyTotal: "maie_operator_apply_total",
  leader: "maie_operator_leader",
  apiRequestsTotal: "maie_operator_api_requests_total",
} as const;

/**
 * Values of the scorer's `endpoint` label: the route path, without query
 * string, exactly as in design §5. Alerts select on these.
 */
export const SCORER_ENDPOINTS = {
  health: "/health",
  ready: "/ready",
  score: "/score",
  scoreExpected: "/score_expected",
  explainLocal: "/explain_local",
  explain: "/explain",
  metrics: "/metrics",
  openapi: "/openapi.json",
} as const;

/** Endpoints that are probes or scrapes, left out of the error ratio. */
export const INFRA_ENDPOINTS: readonly string[] = [
  SCORER_ENDPOINTS.health,
  SCORER_ENDPOINTS.ready,
  SCORER_ENDPOINTS.metrics,
];

/** Values of `maie_operator_reconcile_total{result}` (what src/controller/controller.ts reports). */
export const RECONCILE_RESULTS = { success: "success", error: "error" } as const;

/**
 * Label of `maie_expected_alpha_quantile` holding the quantile level. Not
 * `quantile`: Prometheus reserves that label for summaries (`promtool check
 * metrics` rejects it on a gauge).
 */
export const ALPHA_QUANTILE_LABEL = "q";
/** Quantile levels exported by `maie_expected_alpha_quantile{q}`. */
export const ALPHA_QUANTILES = ["0", "0.05", "0.25", "0.5", "0.75", "0.95", "1"] as const;

/** Buckets the scorer should use for `maie_api_request_duration_seconds` (cover every alert threshold). */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export const METRIC_CATALOGUE: readonly MetricDoc[] = [
  {
    name: SCORER_METRICS.apiRequestsTotal,
    type: "counter",
    help: "HTTP requests served, by route path, method and status code.",
    labels: ["endpoint", "method", "code"],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.apiRequestDurationSeconds,
    type: "histogram",
    help: "HTTP request duration in seconds, by route path.",
    labels: ["endpoint"],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.expectedLatestTimestamp,
    type: "gauge",
    help: "Unix time (seconds) the expected panel being served was written; 0 when no panel is loaded.",
    labels: [],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.expectedTickers,
    type: "gauge",
    help: "Number of tickers in the expected panel being served.",
    labels: [],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.expectedAlphaQuantile,
    type: "gauge",
    help: "Quantiles of the alphas in the expected panel being served, by level q (q=0 is the minimum, q=1 the maximum).",
    labels: [ALPHA_QUANTILE_LABEL],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.modelLoaded,
    type: "gauge",
    help: "1 when a valid model is loaded and serving, else 0.",
    labels: [],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.modelInfo,
    type: "gauge",
    help: "Always 1; labels describe the model being served.",
    labels: ["format", "sha256", "trees", "features"],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.modelReloadFailuresTotal,
    type: "counter",
    help: "Model or panel files that changed on disk but failed to load (the last good one keeps serving).",
    labels: [],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.panelReloadFailuresTotal,
    type: "counter",
    help: "Panel files (expected, features) that failed to load, by file; also counted in maie_model_reload_failures_total.",
    labels: ["file"],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.explainLocalFallbackTotal,
    type: "counter",
    help: "/explain_local requests answered by a fallback path, by kind.",
    labels: ["kind"],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.featureSkewTotal,
    type: "counter",
    help: "Model loads whose feature names did not match the feature set.",
    labels: [],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.pipelineLastSuccessTimestamp,
    type: "gauge",
    help: "Unix time (seconds) the last successful pipeline run finished, from its run summary on the data volume. Absent before the first success.",
    labels: [],
    exporter: "scorer",
  },
  {
    name: SCORER_METRICS.backupLastSuccessTimestamp,
    type: "gauge",
    help: "Unix time (seconds) the last successful (and, when enabled, verified) backup finished, from the backup run summary. Absent before the first success.",
    labels: [],
    exporter: "scorer",
  },
  {
    name: OPERATOR_METRICS.reconcileTotal,
    type: "counter",
    help: "Reconciles of MaieDeployment objects, by result (success, error).",
    labels: ["result"],
    exporter: "operator",
  },
  {
    name: OPERATOR_METRICS.reconcileDurationSeconds,
    type: "histogram",
    help: "Duration of one reconcile in seconds.",
    labels: [],
    exporter: "operator",
  },
  {
    name: OPERATOR_METRICS.workqueueDepth,
    type: "gauge",
    help: "Objects waiting in the reconcile queue.",
    labels: [],
    exporter: "operator",
  },
  {
    name: OPERATOR_METRICS.applyTotal,
    type: "counter",
    help: "Child applies by kind and result (created, updated, unchanged, deleted, conflict, error).",
    labels: ["kind", "result"],
    exporter: "operator",
  },
  {
    name: OPERATOR_METRICS.leader,
    type: "gauge",
    help: "1 while this operator process holds the leader lease, else 0.",
    labels: [],
    exporter: "operator",
  },
  {
    name: OPERATOR_METRICS.apiRequestsTotal,
    type: "counter",
    help: "Requests to the Kubernetes API by verb and status code.",
    labels: ["verb", "code"],
    exporter: "operator",
  },
];

/** The catalogue's help text for `name`; throws for a metric that is not catalogued. */
export function metricHelp(name: string): string {
  const doc = METRIC_CATALOGUE.find((m) => m.name === name);
  if (doc === undefined) throw new Error(`metric ${name} is not in the monitoring catalogue`);
  return doc.help;
}

/** Every series name a catalogued metric family can produce (histograms expand to _bucket/_sum/_count). */
export function seriesNames(doc: MetricDoc): string[] {
  return doc.type === "histogram"
    ? [`${doc.name}_bucket`, `${doc.name}_sum`, `${doc.name}_count`]
    : [doc.name];
}
