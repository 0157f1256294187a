import type { DesiredContext } from "../../../src/desired/meta.js";
import { sampleResource } from "../api/fixtures.js";

/** Cluster with the Prometheus Operator CRDs served. */
export const WITH_PROMETHEUS_OPERATOR: DesiredContext = {
  capabilities: { prometheusOperator: true },
  defaultImage: { repository: "ghcr.io/maie/maie", tag: "1.0.0" },
};

export const WITHOUT_PROMETHEUS_OPERATOR: DesiredContext = {
  ...WITH_PROMETHEUS_OPERATOR,
  capabilities: { prometheusOperator: false },
};

/** The spec of the customised resource every monitoring test also runs on. */
export const CUSTOMISED_SPEC = {
  monitoring: {
    serviceMonitor: { enabled: "true", interval: "15s", labels: { release: "kube-prometheus-stack" } },
    alerts: {
      enabled: "true",
      latencyP95Seconds: 0.5,
      explainLatencyP95Seconds: 1,
      errorRatio: 0.05,
      panelMaxAge: "2d",
      labels: { release: "kube-prometheus-stack", team: "quant" },
    },
  },
};

/** The two resources the rule tests run on, by name. */
export function monitoredInstances() {
  return {
    default: sampleResource({}),
    customised: sampleResource(CUSTOMISED_SPEC, "beta-v2", "quant-prod"),
  };
}
