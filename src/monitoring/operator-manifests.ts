import { stringify } from "yaml";
import { buildOperatorDashboardsConfigMap } from "../desired/dashboards.js";
import { buildOperatorPrometheusRule } from "../desired/prometheus-rule.js";

/**
 * The operator's own PrometheusRule and Grafana dashboard as install
 * manifests, rendered from the same builders the unit and promtool tests
 * check: plain YAML for kustomize (config/prometheus) and Helm templates for
 * the chart (config/helm/maie-operator). The files are generated; a unit test
 * fails when they differ from these renders (refresh: tools/sync-operator-monitoring.sh).
 */

export const OPERATOR_MONITORING_HEADER =
  "# Generated from src/desired/monitoring/operator-*.ts by tools/sync-operator-monitoring.sh. Do not edit by hand.\n";

/**
 * kustomize: config/manager's Service is `maie-operator-metrics` in
 * `maie-system`, so config/prometheus's ServiceMonitor gives the operator's
 * series `namespace="maie-system", job="maie-operator-metrics"`.
 */
export const KUSTOMIZE_OPERATOR_SCOPE = { namespace: "maie-system", job: "maie-operator-metrics" } as const;

// Placeholders the builders see for the Helm render, replaced by template expressions.
const HELM_NAMESPACE = "HELM-RELEASE-NAMESPACE";
const HELM_FULLNAME = "HELM-FULLNAME";
const HELM_EXTRA_LABELS = "HELM-EXTRA-LABELS";
const HELM_SCOPE = { namespace: HELM_NAMESPACE, job: `${HELM_FULLNAME}-metrics` };

function yaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

/**
 * The builders' own `{{ ... }}` (Prometheus alert templates, Grafana legends)
 * must reach the cluster as written: each becomes a Go raw string that Helm
 * prints back verbatim.
 */
export function escapeForHelm(text: string): string {
  const escaped = text.replace(/\{\{(.*?)\}\}/g, (whole: string) => {
    if (whole.includes("`")) throw new Error(`cannot escape ${whole} for Helm: it contains a backtick`);
    return `{{\`${whole}\`}}`;
  });
  const unescaped = escaped.replace(/\{\{`.*?`\}\}/g, "");
  if (unescaped.includes("{{")) throw new Error("an unpaired {{ would be read as a Helm action");
  return escaped;
}

function helmTemplate(enabledValue: string, labelsValue: string, object: object): string {
  const body = escapeForHelm(yaml(object))
    .replaceAll(
      `    ${HELM_EXTRA_LABELS}: x\n`,
      `    {{- with .Values.${labelsValue} }}\n    {{- toYaml . | nindent 4 }}\n    {{- end }}\n`,
    )
    .replaceAll(HELM_NAMESPACE, "{{ .Release.Namespace }}")
    .replaceAll(HELM_FULLNAME, '{{ include "maie-operator.fullname" . }}');
  if (body.includes("HELM-")) throw new Error("a Helm placeholder was left in the template");
  return `${OPERATOR_MONITORING_HEADER}{{- if .Values.${enabledValue} }}\n${body}{{- end }}\n`;
}

/** Every generated file, by path relative to the repository root. */
export function operatorMonitoringFiles(): Record<string, string> {
  return {
    "config/prometheus/operator-rule.yaml":
      OPERATOR_MONITORING_HEADER + yaml(buildOperatorPrometheusRule(KUSTOMIZE_OPERATOR_SCOPE)),
    "config/prometheus/operator-dashboards.yaml":
      OPERATOR_MONITORING_HEADER + yaml(buildOperatorDashboardsConfigMap(KUSTOMIZE_OPERATOR_SCOPE)),
    "config/helm/maie-operator/templates/prometheusrule.yaml": helmTemplate(
      "prometheusRule.enabled",
      "prometheusRule.labels",
      buildOperatorPrometheusRule({
        ...HELM_SCOPE,
        name: HELM_FULLNAME,
        labels: { [HELM_EXTRA_LABELS]: "x" },
      }),
    ),
    "config/helm/maie-operator/templates/dashboards.yaml": helmTemplate(
      "dashboards.enabled",
      "dashboards.labels",
      withExtraLabels(
        buildOperatorDashboardsConfigMap({ ...HELM_SCOPE, name: `${HELM_FULLNAME}-dashboards` }),
      ),
    ),
  };
}

/** The dashboards builder takes no extra labels: the placeholder goes first, like the rule's. */
function withExtraLabels<T extends { metadata: { labels?: Record<string, string> } }>(o: T): T {
  return { ...o, metadata: { ...o.metadata, labels: { [HELM_EXTRA_LABELS]: "x", ...o.metadata.labels } } };
}
