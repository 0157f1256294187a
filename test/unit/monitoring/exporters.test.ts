import { createOperatorMetrics } from "../../../src/operator/metrics.js";
import { ScorerMetrics } from "../../../src/scorer/metrics.js";
import {
  ALPHA_QUANTILE_LABEL,
  METRIC_CATALOGUE,
  type MetricDoc,
  SCORER_METRICS,
} from "../../../src/monitoring/metric-names.js";
import { run, toolPath } from "./tools.js";

/**
 * The catalogue against what the exporters really produce: the scorer's and
 * the operator's metric registries (the code behind their /metrics), with a
 * value recorded in every family so labelled series appear. Names, types and
 * label names must match the catalogue, and `promtool check metrics` must
 * accept our families (prom-client's own default metrics are left out: their
 * naming is upstream's).
 */

interface Family {
  type: string;
  labels: Set<string>;
}

function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  for (const line of text.split("\n")) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) {
      out.set(t[1]!, { type: t[2]!, labels: new Set() });
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? \S+/.exec(line);
    if (!sample) continue;
    const family =
      out.get(sample[1]!) ?? out.get(sample[1]!.replace(/_(bucket|sum|count)$/, "")) ?? undefined;
    if (!family) continue;
    for (const m of (sample[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) {
      if (m[1] !== "le") family.labels.add(m[1]!);
    }
  }
  return out;
}

/** Only our families, for promtool's lint. */
function ours(text: string): string {
  return (
    text
      .split("\n")
      .filter((l) => /^(# (HELP|TYPE) )?maie_/.test(l))
      .join("\n") + "\n"
  );
}

function compare(exporter: MetricDoc["exporter"], text: string) {
  const exported = families(text);
  const catalogued = METRIC_CATALOGUE.filter((m) => m.exporter === exporter);
  const got = catalogued.map((m) => {
    const f = exported.get(m.name);
    return { name: m.name, type: f?.type, labels: f ? [...f.labels].sort() : undefined };
  });
  expect(got).toEqual(catalogued.map((m) => ({ name: m.name, type: m.type, labels: [...m.labels].sort() })));
  const uncatalogued = [...exported.keys()].filter(
    (n) => n.startsWith("maie_") && !catalogued.some((m) => m.name === n),
  );
  expect(uncatalogued).toEqual([]);
}

async function scorerText(): Promise<string> {
  const s = new ScorerMetrics();
  s.setModel({ format: "lightgbm", sha256: "ab12", trees: 500, features: 50 });
  s.setExpected(1_764_000_000, [0.12, -0.2, 0.31, 0.05]);
  s.setPipelineLastSuccess(1_764_000_000);
  s.setBackupLastSuccess(1_764_003_600);
  s.requests.inc({ endpoint: "/score_expected", method: "POST", code: "200" });
  s.requestDuration.observe({ endpoint: "/score_expected" }, 0.004);
  s.explainLocalFallback.inc({ kind: "prices" });
  s.panelReloadFailures.inc({ file: "expected" });
  return s.registry.metrics();
}

async function operatorText(): Promise<string> {
  const o = createOperatorMetrics();
  o.reconcileTotal.inc({ result: "success" });
  o.reconcileDuration.observe(0.02);
  o.workqueueDepth.set(1);
  o.applyTotal.inc({ kind: "Service", result: "created" });
  o.leader.set(1);
  o.apiRequests.inc({ verb: "PATCH", code: "200" });
  return o.registry.metrics();
}

describe("exporters against the metric catalogue", () => {
  test("scorer_labels_alpha_quantiles_with_q_because_quantile_is_reserved_for_summaries", async () => {
    const labels = families(await scorerText()).get(SCORER_METRICS.expectedAlphaQuantile)?.labels;
    if (!labels?.has(ALPHA_QUANTILE_LABEL)) {
      throw new Error(
        `${SCORER_METRICS.expectedAlphaQuantile} must label its levels with ALPHA_QUANTILE_LABEL ("${ALPHA_QUANTILE_LABEL}") from src/monitoring/metric-names.ts, ` +
          `not ${JSON.stringify([...(labels ?? [])])}: promtool check metrics rejects "quantile" on a gauge, and the business dashboard groups by "${ALPHA_QUANTILE_LABEL}" (fix in src/scorer/metrics.ts)`,
      );
    }
    expect([...labels]).toEqual([ALPHA_QUANTILE_LABEL]);
  });

  test("scorer_registry_exports_every_catalogued_scorer_metric_with_its_type_and_labels", async () => {
    compare("scorer", await scorerText());
  });

  test("operator_registry_exports_every_catalogued_operator_metric_with_its_type_and_labels", async () => {
    compare("operator", await operatorText());
  });

  test("promtool_check_metrics_accepts_the_scorer_families", async () => {
    const r = run(toolPath("promtool"), ["check", "metrics"], { input: ours(await scorerText()) });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: "" });
  });

  test("promtool_check_metrics_accepts_the_operator_families", async () => {
    const r = run(toolPath("promtool"), ["check", "metrics"], { input: ours(await operatorText()) });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: "" });
  });
});
