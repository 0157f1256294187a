import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { metricHelp, OPERATOR_METRICS as n } from "../monitoring/metric-names.js";

/**
 * The operator's Prometheus metrics (design §6), on a registry of its
 * own. Names and help texts come from the monitoring catalogue, which the
 * alert rules and dashboards read too.
 */
export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<"result">;
  readonly reconcileDuration: Histogram;
  readonly workqueueDepth: Gauge;
  readonly applyTotal: Counter<"kind" | "result">;
  readonly leader: Gauge;
  readonly apiRequests: Counter<"verb" | "code">;
}

export function createOperatorMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    reconcileTotal: new Counter({
      name: n.reconcileTotal,
      help: metricHelp(n.reconcileTotal),
      labelNames: ["result"],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: n.reconcileDurationSeconds,
      help: metricHelp(n.reconcileDurationSeconds),
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    workqueueDepth: new Gauge({
      name: n.workqueueDepth,
      help: metricHelp(n.workqueueDepth),
      registers: [registry],
    }),
    applyTotal: new Counter({
      name: n.applyTotal,
      help: metricHelp(n.applyTotal),
      labelNames: ["kind", "result"],
      registers: [registry],
    }),
    leader: new Gauge({
      name: n.leader,
      help: metricHelp(n.leader),
      registers: [registry],
    }),
    apiRequests: new Counter({
      name: n.apiRequestsTotal,
      help: metricHelp(n.apiRequestsTotal),
      labelNames: ["verb", "code"],
      registers: [registry],
    }),
  };
}
