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
import { builtKubernetesVersion } from "../../harness/kube-version.js";
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
function helmTemplate(values: readonly string[]): Obj[] {
  const r = run(toolPath("helm"), [
    "template",
    "maie-operator",
    "config/helm/maie-operator",
    "--namespace",
    "maie-system",
    "--kube-version",
    builtKubernetesVersion(),
    ...values.flatMap((v) => ["--set", v]),
  ]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
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

  test("the alerts select the Service the ServiceMonitor scrapes (its name is the job label)", () => {
    const service = YAML.parse(readFileSync("config/manager/service.yaml", "utf8")) as Obj;
    expect(KUSTOMIZE_OPERATOR_SCOPE).toEqual({ namespace: "maie-system", job: service.metadata.name });
    const helmService = helmTemplate([]).find((o) => o.kind === "Service")!;
    expect(helmService.metadata.name).toBe(KUSTOMIZE_OPERATOR_SCOPE.job);
  });

  test("Helm: the dashboards ConfigMap by default, the PrometheusRule only when enabled, both equal to kustomize's", () => {
    const defaults = helmTemplate([]);
    expect(defaults.filter((o) => o.kind === "PrometheusRule")).toEqual([]);
    const configMaps = defaults.filter((o) => o.kind === "ConfigMap");
    expect(configMaps).toEqual([readObject(KUSTOMIZE_DASHBOARDS)]);
    expect(helmTemplate(["dashboards.enabled=false"]).filter((o) => o.kind === "ConfigMap")).toEqual([]);

    const withRule = helmTemplate(["prometheusRule.enabled=true"]);
    expect(withRule.filter((o) => o.kind === "PrometheusRule")).toEqual([readObject(KUSTOMIZE_RULE)]);

    const labelled = helmTemplate([
      "prometheusRule.enabled=true",
      "prometheusRule.labels.release=prometheus",
    ]);
    const rule = labelled.find((o) => o.kind === "PrometheusRule")!;
    expect(rule.metadata).toMatchObject({
      labels: { release: "prometheus", "app.kubernetes.io/name": "maie-operator" },
    });
  });

  test("Helm: another release and namespace reach the names, the alert selectors and the dashboard queries", () => {
    const r = run(toolPath("helm"), [
      "template",
      "ops",
      "config/helm/maie-operator",
      "--namespace",
      "monitoring-test",
      "--kube-version",
      builtKubernetesVersion(),
      "--set",
      "prometheusRule.enabled=true",
    ]);
    expect(r.status).toBe(0);
    const objs = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj | null);
    const rule = objs.find((o) => o?.kind === "PrometheusRule")!;
    expect(rule).toEqual(
      buildOperatorPrometheusRule({
        namespace: "monitoring-test",
        job: "ops-maie-operator-metrics",
        name: "ops-maie-operator",
      }),
    );
    const cm = objs.find((o) => o?.kind === "ConfigMap")!;
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
