/**
 * Metrics that MAIE's alerts and dashboards read but do not export: they come
 * from the standard Kubernetes monitoring stack (kube-state-metrics, the
 * kubelet's cAdvisor and volume stats), from Prometheus itself, or from the
 * default process metrics of prom-client. Each entry names its source and the
 * page documenting it; a unit test fails when an alert or a dashboard reads a
 * metric that is neither here nor in `metric-names.ts`.
 */

export type StandardSource = "kube-state-metrics" | "cadvisor" | "kubelet" | "prometheus" | "prom-client";

export interface StandardMetric {
  readonly name: string;
  readonly source: StandardSource;
  /** Labels our queries rely on. */
  readonly labels: readonly string[];
}

/** Where each source documents its metrics. */
export const STANDARD_SOURCE_DOCS: Readonly<Record<StandardSource, string>> = {
  "kube-state-metrics": "https://github.com/kubernetes/kube-state-metrics/tree/main/docs/metrics",
  cadvisor: "https://github.com/google/cadvisor/blob/master/docs/storage/prometheus.md",
  kubelet: "https://kubernetes.io/docs/reference/instrumentation/metrics/",
  prometheus:
    "https://prometheus.io/docs/concepts/jobs_instances/#automatically-generated-labels-and-time-series",
  "prom-client": "https://github.com/siimon/prom-client#default-metrics",
};

export const STANDARD_METRICS: readonly StandardMetric[] = [
  // kube-state-metrics (v2.8+: kube_cronjob_status_last_successful_time)
  {
    name: "kube_pod_container_status_ready",
    source: "kube-state-metrics",
    labels: ["namespace", "pod", "container"],
  },
  {
    name: "kube_pod_container_status_restarts_total",
    source: "kube-state-metrics",
    labels: ["namespace", "pod", "container"],
  },
  {
    name: "kube_pod_container_resource_limits",
    source: "kube-state-metrics",
    labels: ["namespace", "pod", "container", "resource", "unit"],
  },
  {
    name: "kube_pod_container_resource_requests",
    source: "kube-state-metrics",
    labels: ["namespace", "pod", "container", "resource", "unit"],
  },
  {
    name: "kube_deployment_spec_replicas",
    source: "kube-state-metrics",
    labels: ["namespace", "deployment"],
  },
  {
    name: "kube_deployment_status_replicas_available",
    source: "kube-state-metrics",
    labels: ["namespace", "deployment"],
  },
  {
    name: "kube_cronjob_status_last_schedule_time",
    source: "kube-state-metrics",
    labels: ["namespace", "cronjob"],
  },
  {
    name: "kube_cronjob_status_last_successful_time",
    source: "kube-state-metrics",
    labels: ["namespace", "cronjob"],
  },
  { name: "kube_cronjob_status_active", source: "kube-state-metrics", labels: ["namespace", "cronjob"] },
  { name: "kube_cronjob_spec_suspend", source: "kube-state-metrics", labels: ["namespace", "cronjob"] },
  // cAdvisor (served by the kubelet at /metrics/cadvisor)
  {
    name: "container_memory_working_set_bytes",
    source: "cadvisor",
    labels: ["namespace", "pod", "container"],
  },
  {
    name: "container_cpu_usage_seconds_total",
    source: "cadvisor",
    labels: ["namespace", "pod", "container"],
  },
  {
    name: "container_cpu_cfs_periods_total",
    source: "cadvisor",
    labels: ["namespace", "pod", "container"],
  },
  {
    name: "container_cpu_cfs_throttled_periods_total",
    source: "cadvisor",
    labels: ["namespace", "pod", "container"],
  },
  // kubelet volume stats
  {
    name: "kubelet_volume_stats_available_bytes",
    source: "kubelet",
    labels: ["namespace", "persistentvolumeclaim"],
  },
  {
    name: "kubelet_volume_stats_capacity_bytes",
    source: "kubelet",
    labels: ["namespace", "persistentvolumeclaim"],
  },
  {
    name: "kubelet_volume_stats_used_bytes",
    source: "kubelet",
    labels: ["namespace", "persistentvolumeclaim"],
  },
  // Prometheus itself
  { name: "up", source: "prometheus", labels: ["namespace", "job", "pod"] },
  { name: "ALERTS", source: "prometheus", labels: ["alertname", "alertstate", "severity"] },
  // prom-client collectDefaultMetrics() in the scorer and the operator
  { name: "process_resident_memory_bytes", source: "prom-client", labels: [] },
  { name: "process_cpu_seconds_total", source: "prom-client", labels: [] },
  { name: "nodejs_eventloop_lag_p99_seconds", source: "prom-client", labels: [] },
  { name: "nodejs_heap_size_used_bytes", source: "prom-client", labels: [] },
];
