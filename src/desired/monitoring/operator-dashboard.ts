import type { KubeObject } from "../../kube/object.js";
import { OPERATOR_METRICS, RECONCILE_RESULTS } from "../../monitoring/metric-names.js";
import { eq, humanRatio, selector } from "../../monitoring/promql.js";
import { runbookUrl } from "../../monitoring/runbooks.js";
import { OPERATOR_DEFAULTS } from "../../monitoring/topology.js";
import { dashboardJson } from "./grafana.js";
import { OPERATOR_ALERTS, type OperatorScope, RECONCILE_ERROR_RATIO } from "./operator-alerts.js";

/**
 * The Grafana dashboard of the operator itself, shipped once with the
 * install manifests (like `buildOperatorPrometheusRule`), not per resource.
 */

export const OPERATOR_DASHBOARD_KEY = "maie-operator.json";
const RATE = "$__rate_interval";

export function operatorDashboard(o: OperatorScope): Record<string, unknown> {
  const m = [eq("namespace", o.namespace), eq("job", o.job)];
  const sel = (metric: string, ...extra: ReturnType<typeof eq>[]) => selector(metric, [...m, ...extra]);
  const reconciles = sel(OPERATOR_METRICS.reconcileTotal);
  const errors = sel(OPERATOR_METRICS.reconcileTotal, eq("result", RECONCILE_RESULTS.error));
  const buckets = sel(`${OPERATOR_METRICS.reconcileDurationSeconds}_bucket`);
  return dashboardJson({
    uid: `maie-operator-${o.namespace}`.slice(0, 40),
    title: `MAIE operator · ${o.namespace}/${o.job}`,
    description:
      "Reconciles, work queue, applies, Kubernetes API traffic and leadership of the MAIE operator.",
    tags: ["maie", "maie-operator"],
    panels: [
      {
        kind: "stat",
        title: "Leader",
        width: 6,
        height: 5,
        redBelow: 1,
        targets: [{ expr: `max(${sel(OPERATOR_METRICS.leader)})`, instant: true, legend: "leader" }],
      },
      {
        kind: "stat",
        title: "Work queue depth",
        width: 6,
        height: 5,
        targets: [{ expr: `sum(${sel(OPERATOR_METRICS.workqueueDepth)})`, instant: true, legend: "depth" }],
      },
      {
        kind: "stat",
        title: "Operator pods up",
        width: 6,
        height: 5,
        redBelow: 1,
        targets: [{ expr: `sum(${sel("up")})`, instant: true, legend: "up" }],
      },
      {
        kind: "stat",
        title: `Reconcile errors (alert: > ${humanRatio(RECONCILE_ERROR_RATIO)})`,
        width: 6,
        height: 5,
        unit: "percentunit",
        redAbove: RECONCILE_ERROR_RATIO,
        targets: [
          {
            expr: `sum(rate(${errors}[15m])) / sum(rate(${reconciles}[15m]))`,
            instant: true,
            legend: "errors",
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Reconciles by result",
        unit: "ops",
        targets: [{ expr: `sum by (result) (rate(${reconciles}[${RATE}]))`, legend: "{{result}}" }],
      },
      {
        kind: "timeseries",
        title: "Reconcile duration",
        unit: "s",
        targets: ["0.5", "0.95", "0.99"].map((q) => ({
          expr: `histogram_quantile(${q}, sum by (le) (rate(${buckets}[${RATE}])))`,
          legend: `p${Number(q) * 100}`,
        })),
      },
      {
        kind: "timeseries",
        title: "Child applies by kind and result",
        unit: "ops",
        targets: [
          {
            expr: `sum by (kind, result) (rate(${sel(OPERATOR_METRICS.applyTotal)}[${RATE}]))`,
            legend: "{{kind}} {{result}}",
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Kubernetes API requests by verb and code",
        unit: "reqps",
        targets: [
          {
            expr: `sum by (verb, code) (rate(${sel(OPERATOR_METRICS.apiRequestsTotal)}[${RATE}]))`,
            legend: "{{verb}} {{code}}",
          },
        ],
      },
      {
        kind: "timeseries",
        title: "Work queue depth by pod",
        targets: [{ expr: `max by (pod) (${sel(OPERATOR_METRICS.workqueueDepth)})`, legend: "{{pod}}" }],
      },
      {
        kind: "timeseries",
        title: "Resident memory by pod",
        unit: "bytes",
        targets: [{ expr: `max by (pod) (${sel("process_resident_memory_bytes")})`, legend: "{{pod}}" }],
      },
      {
        kind: "text",
        title: "Runbooks",
        width: 24,
        height: 4,
        markdown: OPERATOR_ALERTS.map((a) => `- [${a}](${runbookUrl(a)})`).join("\n"),
      },
    ],
  });
}

/** ConfigMap with the operator dashboard, for the install manifests. Pure. */
export function buildOperatorDashboardsConfigMap(
  opts: Partial<OperatorScope> & { readonly name?: string } = {},
): KubeObject & { data: Record<string, string> } {
  const scope = {
    namespace: opts.namespace ?? OPERATOR_DEFAULTS.namespace,
    job: opts.job ?? OPERATOR_DEFAULTS.job,
  };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: opts.name ?? "maie-operator-dashboards",
      namespace: scope.namespace,
      labels: {
        grafana_dashboard: "1",
        "app.kubernetes.io/name": "maie-operator",
        "app.kubernetes.io/component": "dashboards",
        "app.kubernetes.io/part-of": "maie",
      },
      annotations: { grafana_folder: "MAIE" },
    },
    data: { [OPERATOR_DASHBOARD_KEY]: `${JSON.stringify(operatorDashboard(scope), null, 2)}\n` },
  };
}
