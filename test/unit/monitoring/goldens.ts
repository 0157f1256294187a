import YAML from "yaml";
import {
  buildDashboardsConfigMap,
  buildOperatorDashboardsConfigMap,
} from "../../../src/desired/dashboards.js";
import { buildOperatorPrometheusRule, buildPrometheusRule } from "../../../src/desired/prometheus-rule.js";
import { buildServiceMonitor } from "../../../src/desired/service-monitor.js";
import { ctx } from "../desired/helpers.js";
import { monitoredInstances } from "./instances.js";

/**
 * The golden files under test/fixtures/monitoring/: what the builders
 * produce for the default and the customised resource, and the operator's
 * own rule. `goldens.test.ts` compares; only the explicit update script
 * (tools/update-goldens.sh) rewrites them.
 */
export const GOLDEN_DIR = "test/fixtures/monitoring";
export const GOLDEN_PATTERN = /\.(yaml|json)$/;

const yaml = (o: unknown) => YAML.stringify(o, { lineWidth: 0 });

/** Relative path under GOLDEN_DIR → content. */
export function renderGoldens(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [label, cr] of Object.entries(monitoredInstances())) {
    out[`${label}/prometheus-rule.yaml`] = yaml(buildPrometheusRule(cr, ctx));
    out[`${label}/service-monitor.yaml`] = yaml(buildServiceMonitor(cr, ctx));
    const cm = buildDashboardsConfigMap(cr)!;
    out[`${label}/dashboards-configmap-metadata.yaml`] = yaml({ ...cm, data: Object.keys(cm.data) });
    for (const [key, json] of Object.entries(cm.data)) out[`${label}/dashboards/${key}`] = json;
  }
  out["operator-prometheus-rule.yaml"] = yaml(buildOperatorPrometheusRule());
  const op = buildOperatorDashboardsConfigMap();
  out["operator-dashboards-configmap-metadata.yaml"] = yaml({ ...op, data: Object.keys(op.data) });
  for (const [key, json] of Object.entries(op.data)) out[`operator-dashboards/${key}`] = json;
  return out;
}
