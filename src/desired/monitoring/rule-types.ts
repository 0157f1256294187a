import { runbookUrl } from "../../monitoring/runbooks.js";

/**
 * The Prometheus rule-file shape (`groups: [{name, rules: [...]}]`), which is
 * also the `spec` of a monitoring.coreos.com/v1 PrometheusRule. Tests write
 * these groups to a file and run the real `promtool` on them.
 */

export type Severity = "critical" | "warning" | "info";

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  /** Prometheus duration the condition must hold before the alert fires; absent: fires at once. */
  readonly for?: string;
  readonly labels: Readonly<Record<string, string>> & { readonly severity: Severity };
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    readonly runbook_url: string;
  };
}

/** An alerting rule with its severity, extra labels and the runbook of the alert as annotations. */
export function alertingRule(
  alert: string,
  severity: Severity,
  expr: string,
  forDuration: string | undefined,
  summary: string,
  description: string,
  labels: Readonly<Record<string, string>> = {},
): AlertingRule {
  return {
    alert,
    expr,
    ...(forDuration !== undefined ? { for: forDuration } : {}),
    labels: { severity, ...labels },
    annotations: { summary, description, runbook_url: runbookUrl(alert) },
  };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertingRule[];
}
