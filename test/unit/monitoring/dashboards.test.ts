import {
  DASHBOARD_KEYS,
  buildDashboardsConfigMap,
  buildOperatorDashboardsConfigMap,
  dashboards,
} from "../../../src/desired/dashboards.js";
import { childMeta, names } from "../../../src/desired/meta.js";
import { INSTANCE_ALERTS } from "../../../src/desired/monitoring/alerts.js";
import { dashboardExpressions } from "../../../src/desired/monitoring/grafana.js";
import { runbookUrl } from "../../../src/monitoring/runbooks.js";
import { sampleResource } from "../api/fixtures.js";
import { CUSTOM_SPEC } from "../desired/helpers.js";
import { monitoredInstances } from "./instances.js";

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource: { uid: string } }[];
  fieldConfig?: { defaults: { thresholds: { steps: { value: number | null }[] } } };
  options?: { content?: string };
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: string }[] };
  panels: Panel[];
}

function parsed(cr = sampleResource({})): Record<string, Dashboard> {
  const cm = buildDashboardsConfigMap(cr)!;
  return Object.fromEntries(Object.entries(cm.data).map(([k, v]) => [k, JSON.parse(v) as Dashboard]));
}

describe("buildDashboardsConfigMap", () => {
  test("is_the_cr_dashboards_configmap_with_the_grafana_sidecar_label", () => {
    const cr = sampleResource({}, "alpha", "research");
    const cm = buildDashboardsConfigMap(cr)!;
    expect(cm.apiVersion).toBe("v1");
    expect(cm.kind).toBe("ConfigMap");
    const meta = childMeta(cr, names.dashboards(cr), "dashboards", { grafana_dashboard: "1" });
    expect(cm.metadata).toEqual({ ...meta, annotations: { grafana_folder: "MAIE" } });
    expect(cm.metadata.name).toBe("alpha-dashboards");
    expect(cm.metadata.labels?.["grafana_dashboard"]).toBe("1");
  });

  test("holds_api_system_business_and_alerts_dashboards_as_json", () => {
    const d = parsed();
    expect(Object.keys(d).sort()).toEqual(Object.values(DASHBOARD_KEYS).sort());
    expect(d[DASHBOARD_KEYS.api]!.title).toBe("MAIE research/alpha · API performance");
    expect(d[DASHBOARD_KEYS.system]!.title).toContain("system health");
    expect(d[DASHBOARD_KEYS.business]!.title).toContain("business");
    expect(d[DASHBOARD_KEYS.alerts]!.title).toContain("alerts");
  });

  test("is_null_when_dashboards_are_disabled", () => {
    expect(
      buildDashboardsConfigMap(sampleResource({ monitoring: { dashboards: { enabled: false } } })),
    ).toBeNull();
  });

  test("dashboard_uids_are_unique_per_resource_and_fit_grafana", () => {
    const { default: a, customised: b } = monitoredInstances();
    const uids = [a, b, sampleResource({}, "alpha", "other-ns")].flatMap((cr) =>
      Object.values(parsed(cr)).map((d) => d.uid),
    );
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid.length).toBeLessThanOrEqual(40);
  });

  test("every_query_panel_uses_the_datasource_variable_and_has_unique_ref_ids", () => {
    for (const [key, d] of Object.entries(parsed())) {
      expect(d.templating.list).toContainEqual(
        expect.objectContaining({ name: "datasource", type: "datasource" }),
      );
      expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of d.panels) {
        expect({ key, title: p.title, fits: p.gridPos.x + p.gridPos.w <= 24 && p.gridPos.w > 0 }).toEqual({
          key,
          title: p.title,
          fits: true,
        });
        if (p.type === "text" || p.type === "alertlist") continue;
        expect(p.datasource?.uid).toBe("${datasource}");
        expect(p.targets?.length).toBeGreaterThan(0);
        const refs = p.targets!.map((t) => t.refId);
        expect(new Set(refs).size).toBe(refs.length);
        for (const t of p.targets!) expect(t.datasource.uid).toBe("${datasource}");
      }
    }
  });

  test("panels_do_not_overlap", () => {
    for (const d of Object.values(parsed())) {
      const cells = new Set<string>();
      for (const p of d.panels) {
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            expect(cells.has(`${x},${y}`)).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
      }
    }
  });

  test("business_dashboard_shows_alpha_distribution_and_panel_freshness", () => {
    const exprs = dashboardExpressions(dashboards(sampleResource({}))[DASHBOARD_KEYS.business]!);
    expect(exprs.some((e) => e.includes("maie_expected_alpha_quantile"))).toBe(true);
    expect(exprs.some((e) => e.startsWith("time() - max(maie_expected_latest_timestamp"))).toBe(true);
    expect(exprs.some((e) => e.includes("maie_pipeline_last_success_timestamp"))).toBe(true);
    expect(exprs.some((e) => e.includes("maie_backup_last_success_timestamp"))).toBe(true);
  });

  test("threshold_lines_follow_the_alert_thresholds_of_the_spec", () => {
    const thresholdsOf = (cr: ReturnType<typeof sampleResource>, key: string, title: string) => {
      const p = parsed(cr)[key]!.panels.find((x) => x.title.startsWith(title))!;
      return p.fieldConfig!.defaults.thresholds.steps.map((s) => s.value);
    };
    const def = sampleResource({});
    const custom = sampleResource(CUSTOM_SPEC);
    expect(thresholdsOf(def, DASHBOARD_KEYS.api, "5xx ratio")).toEqual([null, 0.01]);
    expect(thresholdsOf(custom, DASHBOARD_KEYS.api, "5xx ratio")).toEqual([null, 0.05]);
    expect(thresholdsOf(custom, DASHBOARD_KEYS.api, "/score_expected latency")).toEqual([null, 0.5]);
    expect(thresholdsOf(custom, DASHBOARD_KEYS.business, "Expected panel age")).toEqual([null, 172800]);
  });

  test("alerts_dashboard_lists_firing_alerts_of_this_resource_and_links_every_runbook", () => {
    const d = parsed(sampleResource({}, "alpha", "research"))[DASHBOARD_KEYS.alerts]!;
    const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(
      exprs.some((e) =>
        e.includes('ALERTS{namespace="research",maie_deployment="alpha",alertstate="firing"}'),
      ),
    ).toBe(true);
    const text = d.panels.find((p) => p.type === "text")!.options!.content!;
    for (const a of INSTANCE_ALERTS) expect(text).toContain(runbookUrl(a));
  });

  test("fits_in_a_configmap", () => {
    const cm = buildDashboardsConfigMap(sampleResource({}))!;
    const bytes = Object.values(cm.data).reduce((n, v) => n + Buffer.byteLength(v), 0);
    expect(bytes).toBeLessThan(512 * 1024);
  });
});

describe("buildOperatorDashboardsConfigMap", () => {
  test("ships_the_operator_dashboard_in_the_operator_namespace_with_the_sidecar_label", () => {
    const cm = buildOperatorDashboardsConfigMap({ namespace: "ops", job: "maie" });
    expect(cm.metadata.namespace).toBe("ops");
    expect(cm.metadata.labels?.["grafana_dashboard"]).toBe("1");
    expect(cm.metadata.ownerReferences).toBeUndefined();
    const d = JSON.parse(cm.data["maie-operator.json"]!) as Dashboard;
    expect(d.title).toBe("MAIE operator · ops/maie");
    for (const p of d.panels.filter((x) => x.type !== "text")) {
      for (const t of p.targets!) expect(t.expr).toContain('namespace="ops",job="maie"');
    }
  });
});
