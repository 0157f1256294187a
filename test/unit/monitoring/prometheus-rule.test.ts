import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { childMeta, names } from "../../../src/desired/meta.js";
import { INSTANCE_ALERTS } from "../../../src/desired/monitoring/alerts.js";
import { OPERATOR_ALERTS } from "../../../src/desired/monitoring/operator-alerts.js";
import {
  buildOperatorPrometheusRule,
  buildPrometheusRule,
  monitoringCondition,
  monitoringDecision,
} from "../../../src/desired/prometheus-rule.js";
import { METRIC_CATALOGUE } from "../../../src/monitoring/metric-names.js";
import { RUNBOOK_BASE_URL } from "../../../src/monitoring/runbooks.js";
import { sampleResource } from "../api/fixtures.js";
import { ctx, ctxWithoutPrometheus, CUSTOM_SPEC } from "../desired/helpers.js";
import { monitoredInstances } from "./instances.js";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const SPEC_SECTION_6 = [
  "MaieHighLatencyScoreExpected",
  "MaieHighLatencyExplainLocal",
  "MaieHighErrorRate",
  "MaieReadyFailing",
  "MaieNoNewExpected",
  "MaieModelNotLoaded",
  "MaiePipelineFailed",
  "MaieBackupStale",
  "MaieMemoryNearLimit",
  "MaieCPUThrottled",
  "MaiePVCAlmostFull",
];

function alerts(spec: unknown = {}) {
  const pr = buildPrometheusRule(sampleResource(spec), ctx);
  if (!pr) throw new Error("no PrometheusRule");
  return new Map(pr.spec.groups.flatMap((g) => g.rules.map((r) => [r.alert, r] as const)));
}

describe("buildPrometheusRule", () => {
  test("default_resource_gets_every_alert_of_spec_section_6", () => {
    const names = [...alerts().keys()];
    expect(names).toEqual(expect.arrayContaining(SPEC_SECTION_6));
    expect(names.sort()).toEqual([...INSTANCE_ALERTS].sort());
  });

  test("object_is_named_like_the_resource_with_child_labels_owner_and_extra_labels", () => {
    const cr = sampleResource(CUSTOM_SPEC, "beta-v2", "quant-prod");
    const pr = buildPrometheusRule(cr, ctx)!;
    expect(pr.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(pr.kind).toBe("PrometheusRule");
    expect(pr.metadata).toEqual(
      childMeta(cr, names.prometheusRule(cr), "monitoring", {
        release: "kube-prometheus-stack",
        team: "quant",
      }),
    );
  });

  test("extra_labels_cannot_override_the_managed_labels", () => {
    const cr = sampleResource({
      monitoring: { alerts: { labels: { "app.kubernetes.io/instance": "evil" } } },
    });
    expect(buildPrometheusRule(cr, ctx)!.metadata.labels?.["app.kubernetes.io/instance"]).toBe("alpha");
  });

  test("every_alert_has_severity_instance_label_summary_description_and_runbook", () => {
    for (const [name, r] of alerts()) {
      expect(["critical", "warning", "info"]).toContain(r.labels.severity);
      expect(r.labels["maie_deployment"]).toBe("alpha");
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.description.length).toBeGreaterThan(30);
      expect(r.annotations.runbook_url).toBe(`${RUNBOOK_BASE_URL}/${name}.md`);
    }
  });

  test("thresholds_come_from_spec_monitoring_alerts", () => {
    const d = alerts();
    expect(d.get("MaieHighLatencyScoreExpected")!.expr).toMatch(
      /endpoint="\/score_expected"\}\[5m\]\)\)\) > 0\.2$/,
    );
    expect(d.get("MaieHighLatencyExplainLocal")!.expr).toMatch(/\) > 0\.4$/);
    expect(d.get("MaieHighErrorRate")!.expr).toMatch(/> 0\.01$/);
    expect(d.get("MaieNoNewExpected")!.expr).toMatch(/> 129600$/);
    const c = alerts(CUSTOM_SPEC);
    expect(c.get("MaieHighLatencyScoreExpected")!.expr).toMatch(/\) > 0\.5$/);
    expect(c.get("MaieHighLatencyExplainLocal")!.expr).toMatch(/\) > 1$/);
    expect(c.get("MaieHighErrorRate")!.expr).toMatch(/> 0\.05$/);
    expect(c.get("MaieNoNewExpected")!.expr).toMatch(/> 172800$/);
    expect(c.get("MaieNoNewExpected")!.annotations.summary).toBe("Expected panel older than 2d");
    expect(c.get("MaieHighErrorRate")!.annotations.summary).toBe("Scorer 5xx ratio above 5%");
  });

  test("spec_section_6_timings_hold", () => {
    const d = alerts();
    expect(d.get("MaieHighLatencyScoreExpected")!.for).toBe("10m");
    expect(d.get("MaieHighLatencyExplainLocal")!.for).toBe("10m");
    expect(d.get("MaieHighErrorRate")!.for).toBe("10m");
    expect(d.get("MaieReadyFailing")!.for).toBe("5m");
  });

  test("backup_alert_exists_only_when_backups_are_enabled", () => {
    expect(alerts({ backup: { enabled: false } }).has("MaieBackupStale")).toBe(false);
  });

  test("missing_metrics_alert_only_when_our_service_monitor_scrapes_running_pods", () => {
    expect(
      alerts({ monitoring: { serviceMonitor: { enabled: "Disabled" } } }).has("MaieMetricsMissing"),
    ).toBe(false);
    expect(alerts({ replicas: 0 }).has("MaieMetricsMissing")).toBe(false);
    expect(alerts({ replicas: 0, autoscaling: { enabled: true } }).has("MaieMetricsMissing")).toBe(true);
  });

  test("is_null_when_disabled_or_auto_without_the_prometheus_operator", () => {
    expect(
      buildPrometheusRule(sampleResource({ monitoring: { alerts: { enabled: "Disabled" } } }), ctx),
    ).toBeNull();
    expect(buildPrometheusRule(sampleResource({}), ctxWithoutPrometheus)).toBeNull();
    expect(
      buildPrometheusRule(
        sampleResource({ monitoring: { alerts: { enabled: "Enabled" } } }),
        ctxWithoutPrometheus,
      ),
    ).toBeNull();
  });

  test("is_pure_the_same_input_gives_the_same_object", () => {
    const cr = sampleResource({});
    expect(buildPrometheusRule(cr, ctx)).toEqual(buildPrometheusRule(cr, ctx));
  });

  test("group_names_are_unique_and_name_the_instance", () => {
    const { default: a, customised: b } = monitoredInstances();
    const groups = [a, b].flatMap((cr) => buildPrometheusRule(cr, ctx)!.spec.groups.map((g) => g.name));
    expect(new Set(groups).size).toBe(groups.length);
    expect(groups).toContain("maie.quant-prod.beta-v2.api");
  });
});

describe("buildOperatorPrometheusRule", () => {
  test("holds_the_operator_alerts_in_the_operator_namespace", () => {
    const pr = buildOperatorPrometheusRule({ namespace: "ops", labels: { release: "prom" } });
    expect(pr.metadata.namespace).toBe("ops");
    expect(pr.metadata.labels?.["release"]).toBe("prom");
    expect(pr.metadata.ownerReferences).toBeUndefined();
    expect(pr.spec.groups.flatMap((g) => g.rules.map((r) => r.alert))).toEqual([...OPERATOR_ALERTS]);
  });

  test("operator_alerts_are_not_repeated_in_each_resource_rule", () => {
    for (const a of OPERATOR_ALERTS) expect(alerts().has(a)).toBe(false);
  });
});

describe("runbooks", () => {
  const all = [...INSTANCE_ALERTS, ...OPERATOR_ALERTS];

  test("every_alert_has_a_runbook_with_meaning_check_and_fix", () => {
    for (const a of all) {
      const path = `${repo}docs/runbooks/${a}.md`;
      expect({ a, exists: existsSync(path) }).toEqual({ a, exists: true });
      const text = readFileSync(path, "utf8");
      expect(text.startsWith(`# ${a}\n`)).toBe(true);
      for (const h of ["## Meaning", "## How to check", "## How to fix"]) expect(text).toContain(h);
    }
  });

  test("there_is_no_runbook_for_an_alert_that_does_not_exist", () => {
    const files = readdirSync(`${repo}docs/runbooks`).filter((f) => f.endsWith(".md"));
    expect(files.sort()).toEqual(all.map((a) => `${a}.md`).sort());
  });

  test("runbook_links_to_other_runbooks_resolve", () => {
    for (const a of all) {
      const text = readFileSync(`${repo}docs/runbooks/${a}.md`, "utf8");
      for (const m of text.matchAll(/\]\(([A-Za-z]+\.md)\)/g)) {
        expect({ from: a, to: m[1], exists: existsSync(`${repo}docs/runbooks/${m[1]}`) }).toEqual({
          from: a,
          to: m[1],
          exists: true,
        });
      }
    }
  });
});

describe("monitoringDecision", () => {
  test("auto_with_the_api_served_applies_both", () => {
    const d = monitoringDecision(sampleResource({}), ctx);
    expect([d.serviceMonitor.reason, d.prometheusRule.reason, d.dashboards.reason]).toEqual([
      "Applied",
      "Applied",
      "Applied",
    ]);
    expect(monitoringCondition(d)).toMatchObject({ status: "True", reason: "Applied" });
  });

  test("auto_without_the_api_skips_with_crd_not_installed_and_no_error", () => {
    const d = monitoringDecision(sampleResource({}), ctxWithoutPrometheus);
    expect(d.serviceMonitor).toMatchObject({ desired: false, reason: "CRDNotInstalled", error: false });
    expect(d.prometheusRule).toMatchObject({ desired: false, reason: "CRDNotInstalled", error: false });
    expect(d.dashboards.desired).toBe(true);
    expect(monitoringCondition(d)).toMatchObject({ status: "False", reason: "CRDNotInstalled" });
  });

  test("true_without_the_api_is_a_reported_error", () => {
    const cr = sampleResource({
      monitoring: { serviceMonitor: { enabled: "Enabled" }, alerts: { enabled: "Disabled" } },
    });
    const d = monitoringDecision(cr, ctxWithoutPrometheus);
    expect(d.serviceMonitor).toMatchObject({ desired: false, reason: "CRDNotInstalled", error: true });
    expect(d.serviceMonitor.message).toContain("monitoring.coreos.com/v1");
    expect(d.prometheusRule).toMatchObject({ desired: false, reason: "Disabled" });
    expect(monitoringCondition(d)).toMatchObject({ status: "False", reason: "CRDNotInstalled" });
  });

  test("required_but_missing_wins_over_a_part_that_applies", () => {
    const cr = sampleResource({ monitoring: { serviceMonitor: { enabled: "Enabled" } } });
    const d = monitoringDecision(cr, ctxWithoutPrometheus);
    expect(monitoringCondition(d).reason).toBe("CRDNotInstalled");
  });

  test("everything_off_is_disabled", () => {
    const cr = sampleResource({
      monitoring: {
        serviceMonitor: { enabled: "Disabled" },
        alerts: { enabled: "Disabled" },
        dashboards: { enabled: false },
      },
    });
    const d = monitoringDecision(cr, ctx);
    expect([d.serviceMonitor.reason, d.prometheusRule.reason, d.dashboards.reason]).toEqual([
      "Disabled",
      "Disabled",
      "Disabled",
    ]);
    expect(monitoringCondition(d)).toMatchObject({ status: "True", reason: "Disabled" });
  });

  test("one_part_applied_and_one_disabled_is_applied", () => {
    const cr = sampleResource({ monitoring: { alerts: { enabled: "Disabled" } } });
    expect(monitoringCondition(monitoringDecision(cr, ctx))).toMatchObject({
      status: "True",
      reason: "Applied",
    });
  });
});

describe("docs/monitoring.md", () => {
  test("documents_every_alert_and_every_catalogued_metric", () => {
    const text = readFileSync(`${repo}docs/monitoring.md`, "utf8");
    for (const a of [...INSTANCE_ALERTS, ...OPERATOR_ALERTS])
      expect(text).toContain(`[${a}](runbooks/${a}.md)`);
    for (const m of METRIC_CATALOGUE) expect(text).toContain(`\`${m.name}\``);
  });
});
