import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { buildOperatorDashboardsConfigMap } from "../../../src/desired/dashboards.js";
import { buildOperatorPrometheusRule } from "../../../src/desired/prometheus-rule.js";
import {
  escapeForHelm,
  KUSTOMIZE_OPERATOR_SCOPE,
  operatorMonitoringFiles,
} from "../../../src/monitoring/operator-manifests.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { findKind, helmTemplate } from "../../harness/manifests.js";
import { run, toolPath } from "./tools.js";

/**
 * The operator's PrometheusRule and dashboards ship with both installs
 * (config/prometheus, the Helm chart), generated from the builders: the files
 * are current, Helm renders exactly what kustomize ships, the alerts select
 * the Service the ServiceMonitor scrapes, and promtool accepts the rules.
 */

const FILES = operatorMonitoringFiles();
const KUSTOMIZE_RULE = "config/prometheus/operator-rule.yaml";
const KUSTOMIZE_DASHBOARDS = "config/prometheus/operator-dashboards.yaml";
type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

const dir = mkdtempSync(join(tmpdir(), "maie-operator-manifests-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `helm template` of the chart as the kustomize install would be: release maie-operator in maie-system. */
function asKustomizeInstalls(values: readonly string[]): Promise<KubeObject[]> {
  return helmTemplate(
    "maie-operator",
    "maie-system",
    values.flatMap((v) => ["--set", v]),
  );
}

function readObject(path: string): Obj {
  return YAML.parse(readFileSync(path, "utf8")) as Obj;
}

describe("the operator's monitoring manifests", () => {
  test.each(Object.keys(FILES))(
    "%s is current (run tools/sync-operator-monitoring.sh when this fails)",
    (path) => {
      const text = readFileSync(path, "utf8");
      if (text !== FILES[path])
        throw new Error(`${path} differs from its render: run npx tsc && tools/sync-operator-monitoring.sh`);
      expect(text).toBe(FILES[path]);
    },
  );

  test("config/prometheus lists them, and they are the builders' objects for the kustomize install", () => {
    const kustomization = YAML.parse(readFileSync("config/prometheus/kustomization.yaml", "utf8")) as {
      resources: string[];
    };
    expect(kustomization.resources).toEqual([
      "monitor.yaml",
      "operator-rule.yaml",
      "operator-dashboards.yaml",
    ]);
    expect(readObject(KUSTOMIZE_RULE)).toEqual(buildOperatorPrometheusRule(KUSTOMIZE_OPERATOR_SCOPE));
    expect(readObject(KUSTOMIZE_DASHBOARDS)).toEqual(
      buildOperatorDashboardsConfigMap(KUSTOMIZE_OPERATOR_SCOPE),
    );
  });

  test("the alerts select the Service the ServiceMonitor scrapes (its name is the job label)", async () => {
    const service = YAML.parse(readFileSync("config/manager/service.yaml", "utf8")) as Obj;
    expect(KUSTOMIZE_OPERATOR_SCOPE).toEqual({ namespace: "maie-system", job: service.metadata.name });
    const helmService = findKind(await asKustomizeInstalls([]), "Service");
    expect(helmService.metadata.name).toBe(KUSTOMIZE_OPERATOR_SCOPE.job);
  });

  test("Helm: the dashboards ConfigMap by default, the PrometheusRule only when enabled, both equal to kustomize's", async () => {
    const defaults = await asKustomizeInstalls([]);
    expect(defaults.filter((o) => o.kind === "PrometheusRule")).toEqual([]);
    const configMaps = defaults.filter((o) => o.kind === "ConfigMap");
    expect(configMaps).toEqual([readObject(KUSTOMIZE_DASHBOARDS)]);
    expect(
      (await asKustomizeInstalls(["dashboards.enabled=false"])).filter((o) => o.kind === "ConfigMap"),
    ).toEqual([]);

    const withRule = await asKustomizeInstalls(["prometheusRule.enabled=true"]);
    expect(withRule.filter((o) => o.kind === "PrometheusRule")).toEqual([readObject(KUSTOMIZE_RULE)]);

    const labelled = await asKustomizeInstalls([
      "prometheusRule.enabled=true",
      "prometheusRule.labels.release=prometheus",
    ]);
    const rule = findKind(labelled, "PrometheusRule");
    expect(rule.metadata).toMatchObject({
      labels: { release: "prometheus", "app.kubernetes.io/name": "maie-operator" },
    });
  });

  test("Helm: another release and namespace reach the names, the alert selectors and the dashboard queries", async () => {
    const objs = await helmTemplate("ops", "monitoring-test", ["--set", "prometheusRule.enabled=true"]);
    const rule = findKind(objs, "PrometheusRule");
    expect(rule).toEqual(
      buildOperatorPrometheusRule({
        namespace: "monitoring-test",
        job: "ops-maie-operator-metrics",
        name: "ops-maie-operator",
      }),
    );
    const cm = findKind(objs, "ConfigMap");
    expect(cm).toEqual(
      buildOperatorDashboardsConfigMap({
        namespace: "monitoring-test",
        job: "ops-maie-operator-metrics",
        name: "ops-maie-operator-dashboards",
      }),
    );
  });

  test("promtool check rules accepts the shipped rules", () => {
    const rules = readObject(KUSTOMIZE_RULE) as Obj & { spec: { groups: unknown[] } };
    const path = join(dir, "operator-rules.yaml");
    writeFileSync(path, YAML.stringify({ groups: rules.spec.groups }, { lineWidth: 0 }));
    const r = run(toolPath("promtool"), ["check", "rules", "--lint-fatal", path]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
  });

  test("escapeForHelm keeps Prometheus and Grafana templates verbatim and refuses what it cannot escape", () => {
    expect(escapeForHelm('a {{ $labels.job }} b "{{pod}}"')).toBe(
      'a {{`{{ $labels.job }}`}} b "{{`{{pod}}`}}"',
    );
    expect(() => escapeForHelm("{{ `x` }}")).toThrow("backtick");
    expect(() => escapeForHelm("{{ open")).toThrow("unpaired");
  });
});
