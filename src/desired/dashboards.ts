import { createHash } from "node:crypto";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import {
  ALPHA_QUANTILE_LABEL,
  ALPHA_QUANTILES,
  INFRA_ENDPOINTS,
  SCORER_ENDPOINTS,
  SCORER_METRICS,
} from "../monitoring/metric-names.js";
import {
  durationSeconds,
  eq,
  humanRatio,
  humanSeconds,
  type Matcher,
  notRe,
  re,
  regexLiteral,
  selector,
} from "../monitoring/promql.js";
import { runbookUrl } from "../monitoring/runbooks.js";
import { SCORER_CONTAINER } from "./deployment.js";
import { childMeta, names } from "./meta.js";
import {
  BACKUP_MAX_AGE,
  CPU_THROTTLED_RATIO,
  INSTANCE_ALERTS,
  MEMORY_LIMIT_RATIO,
  PVC_FREE_RATIO,
} from "./monitoring/alerts.js";
import { dashboardsDecision } from "./monitoring/decision.js";
import { dashboardJson, type DashboardSpec, type PanelSpec } from "./monitoring/grafana.js";
import { instanceScope, type InstanceScope } from "./monitoring/scope.js";

export { buildOperatorDashboardsConfigMap, operatorDashboard } from "./monitoring/operator-dashboard.js";

/** Label the Grafana dashboard sidecar (kube-prometheus-stack, grafana chart) watches. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
/** Folder annotation understood by the Grafana chart's sidecar. */
export const GRAFANA_FOLDER_ANNOTATION = "grafana_folder";

/** The dashboards, by ConfigMap key. */
export const DASHBOARD_KEYS = {
  api: "maie-api-performance.json",
  system: "maie-system-health.json",
  business: "maie-business.json",
  alerts: "maie-alerts.json",
} as const;

/**
 * Grafana's own macros in our queries; the tests replace them with a
 * duration before handing the expression to the Prometheus parser.
 */
export const GRAFANA_MACROS = ["$__rate_interval"] as const;
const RATE = "$__rate_interval";

function uid(cr: MaieDeployment, part: string): string {
  const h = createHash("sha256").update(`${cr.metadata.namespace}/${cr.metadata.name}`).digest("hex");
  return `maie-${h.slice(0, 12)}-${part}`;
}

function sel(metric: string, ...matchers: (readonly Matcher[] | Matcher)[]): string {
  return selector(metric, matchers.flat());
}

const notInfra = notRe("endpoint", INFRA_ENDPOINTS.map(regexLiteral).join("|"));

function latencyPanel(s: InstanceScope, endpoint: string, threshold: number): PanelSpec {
  const buckets = sel(
    `${SCORER_METRICS.apiRequestDurationSeconds}_bucket`,
    s.scorer,
    eq("endpoint", endpoint),
  );
  return {
    kind: "timeseries",
    title: `${endpoint} latency (alert: p95 > ${humanSeconds(threshold)})`,
    unit: "s",
    redAbove: threshold,
    targets: ["0.5", "0.95", "0.99"].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le) (rate(${buckets}[${RATE}])))`,
      legend: `p${Number(q) * 100}`,
    })),
  };
}

function apiDashboard(cr: MaieDeployment, s: InstanceScope): DashboardSpec {
  const a = cr.spec.monitoring.alerts;
  const requests = sel(SCORER_METRICS.apiRequestsTotal, s.scorer);
  const real = sel(SCORER_METRICS.apiRequestsTotal, s.scorer, notInfra);
  const errors = sel(SCORER_METRICS.apiRequestsTotal, s.scorer, notInfra, re("code", "5.."));
  const buckets = sel(`${SCORER_METRICS.apiRequestDurationSeconds}_bucket`, s.scorer, notInfra);
  return {
    uid: uid(cr, "api"),
    title: `MAIE ${s.namespace}/${cr.metadata.name} · API performance`,
    description: "Scorer request rate, errors and latency by route.",
    tags: ["maie", "maie-api"],
    panels: [
      {
        kind: "timeseries",
        title: "Requests per second by route",
        unit: "reqps",
        targets: [{ expr: `sum by (endpoint) (rate(${requests}[${RATE}]))`, legend: "{{endpoint}}" }],
      },
      {
        kind: "timeseries",
        title: `5xx ratio (alert: > ${humanRatio(a.errorRatio)} for 10m)`,
        unit: "percentunit",
        redAbove: a.errorRatio,
        targets: [
          {
            expr: `sum(rate(${errors}[${RATE}])) / sum(rate(${real}[${RATE}]))`,
            legend: "5xx ratio",
          },
        ],
      },
      latencyPanel(s, SCORER_ENDPOINTS.scoreExpected, a.latencyP95Seconds),
      latencyPanel(s, SCORER_ENDPOINTS.explainLocal, a.explainLatencyP95Seconds),
      {
        kind: "timeseries",
        title: "p95 latency by route",
        unit: "s",
        targets: [
          {
            expr: `histogram_quantile(0.95, sum by (endpoint, le) (rate(${buckets}[${RATE}])))`,
            legend: "{{endpoint}}",
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Responses by status code",
        unit: "reqps",
        targets: [{ expr: `sum by (code) (rate(${requests}[${RATE}]))`, legend: "{{code}}" }],
      },
      {
        kind: "timeseries",
        title: "/explain_local fallbacks by kind",
        unit: "reqps",
        targets: [
          {
            expr: `sum by (kind) (rate(${sel(SCORER_METRICS.explainLocalFallbackTotal, s.scorer)}[${RATE}]))`,
            legend: "{{kind}}",
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Event loop lag p99 by pod",
        unit: "s",
        targets: [
          { expr: `max by (pod) (${sel("nodejs_eventloop_lag_p99_seconds", s.scorer)})`, legend: "{{pod}}" },
        ],
      },
    ],
  };
}

function systemDashboard(cr: MaieDeployment, s: InstanceScope): DashboardSpec {
  const containers = [...s.pods, notRe("container", "|POD")];
  const by = "by (pod, container)";
  return {
    uid: uid(cr, "system"),
    title: `MAIE ${s.namespace}/${cr.metadata.name} · system health`,
    description: "Scorer pods, scrape targets, model state, memory, CPU and volumes.",
    tags: ["maie", "maie-system"],
    panels: [
      {
        kind: "stat",
        title: "Ready scorer pods",
        width: 6,
        height: 5,
        targets: [
          {
            expr: `sum(${sel("kube_pod_container_status_ready", s.pods, eq("container", SCORER_CONTAINER))})`,
            instant: true,
            legend: "ready",
          },
          {
            expr: `sum(${sel("kube_deployment_spec_replicas", s.deployment)})`,
            instant: true,
            legend: "desired",
          },
        ],
      },
      {
        kind: "stat",
        title: "Scrape targets up",
        width: 6,
        height: 5,
        redBelow: 1,
        targets: [{ expr: `sum(${sel("up", s.scorer)})`, instant: true, legend: "up" }],
      },
      {
        kind: "stat",
        title: "Pods with a model loaded",
        width: 6,
        height: 5,
        redBelow: 1,
        targets: [
          { expr: `sum(${sel(SCORER_METRICS.modelLoaded, s.scorer)})`, instant: true, legend: "loaded" },
        ],
      },
      {
        kind: "stat",
        title: "Model/panel reload failures (24h)",
        width: 6,
        height: 5,
        redAbove: 1,
        targets: [
          {
            expr: `sum(increase(${sel(SCORER_METRICS.modelReloadFailuresTotal, s.scorer)}[24h]))`,
            instant: true,
            legend: "failures",
          },
        ],
      },
      {
        kind: "timeseries",
        title: `Memory working set / limit (alert: > ${humanRatio(MEMORY_LIMIT_RATIO)})`,
        unit: "percentunit",
        redAbove: MEMORY_LIMIT_RATIO,
        targets: [
          {
            expr: `max ${by} (${sel("container_memory_working_set_bytes", containers)}) / on (pod, container) max ${by} (${sel("kube_pod_container_resource_limits", s.pods, eq("resource", "memory"))})`,
            legend: "{{pod}}/{{container}}",
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Memory working set",
        unit: "bytes",
        targets: [
          {
            expr: `max ${by} (${sel("container_memory_working_set_bytes", containers)})`,
            legend: "{{pod}}/{{container}}",
          },
        ],
      },
      {
        kind: "timeseries",
        title: "CPU usage (cores)",
        unit: "short",
        targets: [
          {
            expr: `sum ${by} (rate(${sel("container_cpu_usage_seconds_total", containers)}[${RATE}]))`,
            legend: "{{pod}}/{{container}}",
          },
        ],
      },
      {
        kind: "timeseries",
        title: `CPU throttled periods (alert: > ${humanRatio(CPU_THROTTLED_RATIO)})`,
        unit: "percentunit",
        redAbove: CPU_THROTTLED_RATIO,
        targets: [
          {
            expr: `sum ${by} (rate(${sel("container_cpu_cfs_throttled_periods_total", containers)}[${RATE}])) / sum ${by} (rate(${sel("container_cpu_cfs_periods_total", containers)}[${RATE}]))`,
            legend: "{{pod}}/{{container}}",
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Container restarts (1h)",
        unit: "short",
        targets: [
          {
            expr: `sum ${by} (increase(${sel("kube_pod_container_status_restarts_total", s.pods)}[1h]))`,
            legend: "{{pod}}/{{container}}",
          },
        ],
      },
      {
        kind: "bargauge",
        title: `Volume usage (alert: < ${humanRatio(PVC_FREE_RATIO)} free)`,
        unit: "percentunit",
        redAbove: 1 - PVC_FREE_RATIO,
        targets: [
          {
            expr: `max by (persistentvolumeclaim) (${sel("kubelet_volume_stats_used_bytes", s.pvcs)}) / max by (persistentvolumeclaim) (${sel("kubelet_volume_stats_capacity_bytes", s.pvcs)})`,
            legend: "{{persistentvolumeclaim}}",
            instant: true,
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Panel file reload failures by file (1h)",
        unit: "short",
        redAbove: 1,
        targets: [
          {
            expr: `sum by (file) (increase(${sel(SCORER_METRICS.panelReloadFailuresTotal, s.scorer)}[1h]))`,
            legend: "{{file}}",
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Scorer process resident memory",
        unit: "bytes",
        targets: [
          { expr: `max by (pod) (${sel("process_resident_memory_bytes", s.scorer)})`, legend: "{{pod}}" },
        ],
      },
      {
        kind: "timeseries",
        title: "Scorer heap used",
        unit: "bytes",
        targets: [
          { expr: `max by (pod) (${sel("nodejs_heap_size_used_bytes", s.scorer)})`, legend: "{{pod}}" },
        ],
      },
    ],
  };
}

function businessDashboard(cr: MaieDeployment, s: InstanceScope): DashboardSpec {
  const maxAge = durationSeconds(cr.spec.monitoring.alerts.panelMaxAge);
  const age = (metric: string) => `time() - max(${sel(metric, s.scorer)})`;
  const quantiles = sel(SCORER_METRICS.expectedAlphaQuantile, s.scorer);
  const scoring = sel(
    SCORER_METRICS.apiRequestsTotal,
    s.scorer,
    re(
      "endpoint",
      [
        SCORER_ENDPOINTS.score,
        SCORER_ENDPOINTS.scoreExpected,
        SCORER_ENDPOINTS.explainLocal,
        SCORER_ENDPOINTS.explain,
      ]
        .map(regexLiteral)
        .join("|"),
    ),
  );
  return {
    uid: uid(cr, "business"),
    title: `MAIE ${s.namespace}/${cr.metadata.name} · business`,
    description: `Alpha distribution of the expected panel, data freshness (alert when the panel is older than ${cr.spec.monitoring.alerts.panelMaxAge}), model served, demand.`,
    tags: ["maie", "maie-business"],
    panels: [
      {
        kind: "stat",
        title: `Expected panel age (alert: > ${cr.spec.monitoring.alerts.panelMaxAge})`,
        width: 6,
        height: 5,
        unit: "s",
        redAbove: maxAge,
        targets: [{ expr: age(SCORER_METRICS.expectedLatestTimestamp), instant: true, legend: "age" }],
      },
      {
        kind: "stat",
        title: "Last pipeline success",
        width: 6,
        height: 5,
        unit: "s",
        redAbove: maxAge,
        targets: [{ expr: age(SCORER_METRICS.pipelineLastSuccessTimestamp), instant: true, legend: "age" }],
      },
      {
        kind: "stat",
        title: `Last backup success (alert: > ${BACKUP_MAX_AGE})`,
        width: 6,
        height: 5,
        unit: "s",
        redAbove: durationSeconds(BACKUP_MAX_AGE),
        targets: [{ expr: age(SCORER_METRICS.backupLastSuccessTimestamp), instant: true, legend: "age" }],
      },
      {
        kind: "stat",
        title: "Tickers in the panel",
        width: 6,
        height: 5,
        targets: [
          { expr: `max(${sel(SCORER_METRICS.expectedTickers, s.scorer)})`, instant: true, legend: "tickers" },
        ],
      },
      {
        kind: "bargauge",
        title: "Alpha distribution now (quantiles of the expected panel)",
        description: `Quantiles ${ALPHA_QUANTILES.join(", ")} of the alphas served (0 = min, 1 = max).`,
        targets: [
          {
            expr: `max by (${ALPHA_QUANTILE_LABEL}) (${quantiles})`,
            legend: `q{{${ALPHA_QUANTILE_LABEL}}}`,
            instant: true,
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Alpha distribution over time",
        targets: [
          { expr: `max by (${ALPHA_QUANTILE_LABEL}) (${quantiles})`, legend: `q{{${ALPHA_QUANTILE_LABEL}}}` },
        ],
      },
      {
        kind: "timeseries",
        title: "Age of the expected panel and of the last pipeline success",
        unit: "s",
        redAbove: maxAge,
        targets: [
          { expr: age(SCORER_METRICS.expectedLatestTimestamp), legend: "expected panel" },
          { expr: age(SCORER_METRICS.pipelineLastSuccessTimestamp), legend: "pipeline success" },
        ],
      },
      {
        kind: "table",
        title: "Model served",
        targets: [
          {
            expr: `count by (format, sha256, trees, features) (${sel(SCORER_METRICS.modelInfo, s.scorer)})`,
            instant: true,
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Scoring and explanation requests per hour",
        unit: "short",
        targets: [{ expr: `sum by (endpoint) (increase(${scoring}[1h]))`, legend: "{{endpoint}}" }],
      },
      {
        kind: "timeseries",
        title: "Feature skew (model features do not match the feature set)",
        unit: "short",
        redAbove: 1,
        targets: [
          {
            expr: `sum(increase(${sel(SCORER_METRICS.featureSkewTotal, s.scorer)}[1h]))`,
            legend: "skew events",
          },
        ],
      },
    ],
  };
}

function alertsDashboard(cr: MaieDeployment, s: InstanceScope): DashboardSpec {
  const firing = sel("ALERTS", s.alerts, eq("alertstate", "firing"));
  const pending = sel("ALERTS", s.alerts, eq("alertstate", "pending"));
  const runbooks = INSTANCE_ALERTS.map((a) => `- [${a}](${runbookUrl(a)})`).join("\n");
  const labelFilter = s.alerts.map((m) => `${m.label}=${JSON.stringify("value" in m ? m.value : m.regex)}`);
  return {
    uid: uid(cr, "alerts"),
    title: `MAIE ${s.namespace}/${cr.metadata.name} · alerts`,
    description: "Alerts about this MaieDeployment (PrometheusRule of the same name) and their runbooks.",
    tags: ["maie", "maie-alerts"],
    panels: [
      {
        kind: "table",
        title: "Firing now",
        width: 16,
        targets: [
          { expr: `max by (alertname, severity, pod, persistentvolumeclaim) (${firing})`, instant: true },
        ],
      },
      { kind: "text", title: "Runbooks", width: 8, markdown: runbooks },
      {
        kind: "state-timeline",
        title: "Firing over time",
        width: 24,
        targets: [{ expr: `max by (alertname) (${firing})`, legend: "{{alertname}}" }],
      },
      {
        kind: "timeseries",
        title: "Pending (condition true, waiting for its 'for' duration)",
        width: 12,
        targets: [{ expr: `max by (alertname) (${pending})`, legend: "{{alertname}}" }],
      },
      {
        kind: "alertlist",
        title: "Alert list (data source managed)",
        width: 12,
        options: {
          alertInstanceLabelFilter: `{${labelFilter.join(", ")}}`,
          datasource: "${datasource}",
          groupMode: "default",
          maxItems: 50,
          showInstances: true,
          sortOrder: 1,
          stateFilter: { firing: true, pending: true, noData: false, normal: false, error: true },
          viewMode: "list",
        },
      },
    ],
  };
}

export interface DashboardsConfigMap extends KubeObject {
  data: Record<string, string>;
}

/** The dashboards as Grafana JSON models, by ConfigMap key. Pure. */
export function dashboards(cr: MaieDeployment): Record<string, Record<string, unknown>> {
  const s = instanceScope(cr);
  return {
    [DASHBOARD_KEYS.api]: dashboardJson(apiDashboard(cr, s)),
    [DASHBOARD_KEYS.system]: dashboardJson(systemDashboard(cr, s)),
    [DASHBOARD_KEYS.business]: dashboardJson(businessDashboard(cr, s)),
    [DASHBOARD_KEYS.alerts]: dashboardJson(alertsDashboard(cr, s)),
  };
}

/**
 * The ConfigMap `<cr>-dashboards` with four Grafana dashboards (API
 * performance, system health, business, alerts), labelled
 * `grafana_dashboard: "1"` for the Grafana sidecar. It needs no CRD, so
 * only `spec.monitoring.dashboards.enabled` decides. Null when disabled. Pure.
 */
export function buildDashboardsConfigMap(cr: MaieDeployment): DashboardsConfigMap | null {
  if (!dashboardsDecision(cr).desired) return null;
  const meta = childMeta(cr, names.dashboards(cr), "dashboards", { ...GRAFANA_DASHBOARD_LABEL });
  const data: Record<string, string> = {};
  for (const [key, d] of Object.entries(dashboards(cr))) data[key] = `${JSON.stringify(d, null, 2)}\n`;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { ...meta, annotations: { [GRAFANA_FOLDER_ANNOTATION]: "MAIE" } },
    data,
  };
}
