import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { METRICS_PATH } from "../monitoring/topology.js";
import { childMeta, type DesiredContext, names, selectorLabels } from "./meta.js";
import { serviceMonitorDecision } from "./monitoring/decision.js";
import { METRICS_PORT_NAME } from "./service.js";

export const SERVICE_MONITOR_API_VERSION = "monitoring.coreos.com/v1";
export const SERVICE_MONITOR_KIND = "ServiceMonitor";

export interface RelabelConfig {
  sourceLabels?: string[];
  regex?: string;
  targetLabel?: string;
  replacement?: string;
  action?: "replace" | "labeldrop";
}

export interface ServiceMonitor extends KubeObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: {
      port: string;
      path: string;
      interval: string;
      scheme: "http";
      metricRelabelings: RelabelConfig[];
    }[];
  };
}

/**
 * The scorer's metrics carry a label `endpoint` (the route path, a name kept
 * from the original MAIE), but the Prometheus Operator also gives every
 * target a label `endpoint` (the port name). Without honor_labels Prometheus
 * keeps the target's and renames ours to `exported_endpoint`. These metric
 * relabelings move the route path back into `endpoint`, so the alert rules
 * and dashboards can rely on it whatever `honorLabels` policy the Prometheus
 * enforces. Series without a route label keep `endpoint="metrics"` (the port name).
 */
export const ENDPOINT_LABEL_RELABELINGS: readonly RelabelConfig[] = [
  {
    sourceLabels: ["exported_endpoint"],
    regex: "(.+)",
    targetLabel: "endpoint",
    replacement: "$1",
    action: "replace",
  },
  { regex: "exported_endpoint", action: "labeldrop" },
];

/**
 * The ServiceMonitor `<cr>`: scrapes `/metrics` on port `metrics` of the scorer
 * Service (selected by the Service's selector labels, in the resource's
 * namespace only) every `spec.monitoring.serviceMonitor.interval`, with the
 * extra labels of `spec.monitoring.serviceMonitor.labels` on the object.
 * Null when not desired (see `serviceMonitorDecision`). Pure.
 */
export function buildServiceMonitor(cr: MaieDeployment, ctx: DesiredContext): ServiceMonitor | null {
  if (!serviceMonitorDecision(cr, ctx).desired) return null;
  const sm = cr.spec.monitoring.serviceMonitor;
  return {
    apiVersion: SERVICE_MONITOR_API_VERSION,
    kind: SERVICE_MONITOR_KIND,
    metadata: childMeta(cr, names.serviceMonitor(cr), "monitoring", sm.labels),
    spec: {
      selector: { matchLabels: selectorLabels(cr, "scorer") },
      namespaceSelector: { matchNames: [cr.metadata.namespace] },
      endpoints: [
        {
          port: METRICS_PORT_NAME,
          path: METRICS_PATH,
          interval: sm.interval,
          scheme: "http",
          metricRelabelings: ENDPOINT_LABEL_RELABELINGS.map((r) => ({
            ...r,
            ...(r.sourceLabels ? { sourceLabels: [...r.sourceLabels] } : {}),
          })),
        },
      ],
    },
  };
}
