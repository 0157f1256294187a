import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { OPERATOR_DEFAULTS } from "../monitoring/topology.js";
import { childMeta, type DesiredContext, names } from "./meta.js";
import { instanceRuleGroups } from "./monitoring/alerts.js";
import { prometheusRuleDecision, serviceMonitorDecision } from "./monitoring/decision.js";
import { operatorRuleGroups, type OperatorScope } from "./monitoring/operator-alerts.js";
import type { RuleGroup } from "./monitoring/rule-types.js";

export { monitoringDecision, monitoringCondition } from "./monitoring/decision.js";
export type { Decision, DecisionReason, MonitoringDecision } from "./monitoring/decision.js";

export const PROMETHEUS_RULE_API_VERSION = "monitoring.coreos.com/v1";
export const PROMETHEUS_RULE_KIND = "PrometheusRule";

export interface PrometheusRule extends KubeObject {
  spec: { groups: RuleGroup[] };
}

/**
 * The PrometheusRule `<cr>` with the alerts of design §6 for this
 * resource, or null when it is not desired (see `prometheusRuleDecision`).
 * `spec.monitoring.alerts.labels` go on the object, so a Prometheus whose
 * `ruleSelector` wants e.g. `release: prometheus` picks it up. Pure.
 */
export function buildPrometheusRule(cr: MaieDeployment, ctx: DesiredContext): PrometheusRule | null {
  if (!prometheusRuleDecision(cr, ctx).desired) return null;
  return {
    apiVersion: PROMETHEUS_RULE_API_VERSION,
    kind: PROMETHEUS_RULE_KIND,
    metadata: childMeta(cr, names.prometheusRule(cr), "monitoring", cr.spec.monitoring.alerts.labels),
    spec: {
      groups: instanceRuleGroups(cr, {
        scraped: serviceMonitorDecision(cr, ctx).desired && scorerRuns(cr),
      }),
    },
  };
}

/** Pods are expected (a missing scrape target is then an error). */
function scorerRuns(cr: MaieDeployment): boolean {
  return cr.spec.replicas > 0 || cr.spec.autoscaling.enabled;
}

export interface OperatorRuleOptions extends Partial<OperatorScope> {
  /** Object name. Default: maie-operator. */
  readonly name?: string;
  /** Extra labels on the object (e.g. release: prometheus). */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The PrometheusRule with the alerts on the operator itself, applied once
 * with the operator's install manifests (not per MaieDeployment). Pure.
 */
export function buildOperatorPrometheusRule(opts: OperatorRuleOptions = {}): PrometheusRule {
  const namespace = opts.namespace ?? OPERATOR_DEFAULTS.namespace;
  const job = opts.job ?? OPERATOR_DEFAULTS.job;
  return {
    apiVersion: PROMETHEUS_RULE_API_VERSION,
    kind: PROMETHEUS_RULE_KIND,
    metadata: {
      name: opts.name ?? "maie-operator",
      namespace,
      labels: {
        ...opts.labels,
        "app.kubernetes.io/name": "maie-operator",
        "app.kubernetes.io/component": "monitoring",
        "app.kubernetes.io/part-of": "maie",
      },
    },
    spec: { groups: operatorRuleGroups({ namespace, job }) },
  };
}
