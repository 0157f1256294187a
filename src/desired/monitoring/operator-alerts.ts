import { OPERATOR_METRICS, RECONCILE_RESULTS } from "../../monitoring/metric-names.js";
import { eq, humanRatio, type Matcher, selector } from "../../monitoring/promql.js";
import { alertingRule, type AlertingRule, type RuleGroup, type Severity } from "./rule-types.js";

/**
 * Alerts on the operator itself. They are not part of each MaieDeployment's
 * PrometheusRule: the operator's metrics carry no per-resource labels, so N
 * resources would evaluate N identical copies and write clashing `ALERTS`
 * series. They ship once, with the operator's install manifests, in the
 * operator's namespace (see `buildOperatorPrometheusRule`).
 */

export const OPERATOR_ALERTS = [
  "MaieOperatorReconcileErrors",
  "MaieOperatorNoLeader",
  "MaieOperatorWorkqueueStuck",
] as const;
export type OperatorAlert = (typeof OPERATOR_ALERTS)[number];

/** Share of reconciles ending in an error above which MaieOperatorReconcileErrors fires. */
export const RECONCILE_ERROR_RATIO = 0.1;

export interface OperatorScope {
  /** Namespace the operator runs in. */
  readonly namespace: string;
  /** `job` label of its scraped series (its Service's name when scraped by a ServiceMonitor). */
  readonly job: string;
}

function rule(
  alert: OperatorAlert,
  severity: Severity,
  expr: string,
  forDuration: string,
  summary: string,
  description: string,
): AlertingRule {
  return alertingRule(alert, severity, expr, forDuration, summary, description);
}

export function operatorRuleGroups(o: OperatorScope): RuleGroup[] {
  const m: Matcher[] = [eq("namespace", o.namespace), eq("job", o.job)];
  const reconciles = selector(OPERATOR_METRICS.reconcileTotal, m);
  const errors = selector(OPERATOR_METRICS.reconcileTotal, [...m, eq("result", RECONCILE_RESULTS.error)]);
  const leader = selector(OPERATOR_METRICS.leader, m);
  const depth = selector(OPERATOR_METRICS.workqueueDepth, m);
  const where = "{{ $labels.namespace }}/{{ $labels.job }}";
  return [
    {
      name: `maie-operator.${o.namespace}`,
      rules: [
        rule(
          "MaieOperatorReconcileErrors",
          "warning",
          `sum by (namespace, job) (rate(${errors}[15m]))\n  / sum by (namespace, job) (rate(${reconciles}[15m]))\n> ${RECONCILE_ERROR_RATIO}`,
          "15m",
          `Operator reconciles failing (over ${humanRatio(RECONCILE_ERROR_RATIO)})`,
          `{{ $value | humanizePercentage }} of the reconciles of ${where} end in an error for 15 minutes; children and status may be out of date.`,
        ),
        rule(
          "MaieOperatorNoLeader",
          "critical",
          `max by (namespace, job) (${leader}) < 1\nor\nabsent(${leader})`,
          "5m",
          "No MAIE operator holds the leader lease",
          `No process of ${where} has been leader for 5 minutes (or none is scraped at all); nothing reconciles MaieDeployments.`,
        ),
        rule(
          "MaieOperatorWorkqueueStuck",
          "warning",
          `max by (namespace, job) (min_over_time(${depth}[15m])) > 0\nunless on (namespace, job)\nsum by (namespace, job) (increase(${reconciles}[15m])) > 0`,
          "5m",
          "Operator work queue not draining",
          `The work queue of ${where} has held {{ $value | humanize }} or more objects for 15 minutes and no reconcile finished.`,
        ),
      ],
    },
  ];
}
