import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The operator's Prometheus metrics (SPEC section 6), on a registry of its own. */
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
      name: "maie_operator_reconcile_total",
      help: "Reconciles by result (success, error).",
      labelNames: ["result"],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: "maie_operator_reconcile_duration_seconds",
      help: "Time one reconcile took.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    workqueueDepth: new Gauge({
      name: "maie_operator_workqueue_depth",
      help: "Keys waiting in the work queue.",
      registers: [registry],
    }),
    applyTotal: new Counter({
      name: "maie_operator_apply_total",
      help: "Child applies by kind and result (created, updated, unchanged, deleted, error).",
      labelNames: ["kind", "result"],
      registers: [registry],
    }),
    leader: new Gauge({
      name: "maie_operator_leader",
      help: "1 when this process holds the leader lease.",
      registers: [registry],
    }),
    apiRequests: new Counter({
      name: "maie_operator_api_requests_total",
      help: "Requests to the Kubernetes API by verb and status code.",
      labelNames: ["verb", "code"],
      registers: [registry],
    }),
  };
}
