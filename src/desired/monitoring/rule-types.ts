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

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertingRule[];
}
