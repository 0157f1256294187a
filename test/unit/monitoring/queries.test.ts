import type { MaieDeployment } from "../../../src/api/resource.js";
import { GRAFANA_MACROS, dashboards, operatorDashboard } from "../../../src/desired/dashboards.js";
import { dashboardExpressions } from "../../../src/desired/monitoring/grafana.js";
import { buildOperatorPrometheusRule, buildPrometheusRule } from "../../../src/desired/prometheus-rule.js";
import { METRIC_CATALOGUE, seriesNames } from "../../../src/monitoring/metric-names.js";
import { STANDARD_METRICS, STANDARD_SOURCE_DOCS } from "../../../src/monitoring/standard-metrics.js";
import { OPERATOR_DEFAULTS } from "../../../src/monitoring/topology.js";
import { ctx } from "../desired/helpers.js";
import { monitoredInstances } from "./instances.js";
import { type Inspected, inspectPromQL } from "./tools.js";

/**
 * Every PromQL expression MAIE ships (alert rules and dashboard panels) goes
 * through the real Prometheus parser (promql-inspect, built from the same
 * pinned module as promtool). From the parsed selectors we check that each
 * metric is catalogued (ours) or a documented standard metric, and that each
 * selector is scoped to the resource's namespace.
 *
 * Not checked here: that the scorer and the operator really export the
 * catalogued names. That needs a live /metrics and belongs to their tests.
 */

/** Grafana macros become a duration the Prometheus parser accepts. */
function forParser(expr: string): string {
  let out = expr;
  for (const m of GRAFANA_MACROS) out = out.split(m).join("5m");
  return out;
}

interface Source {
  readonly where: string;
  readonly expr: string;
}

function ruleSources(cr: MaieDeployment): Source[] {
  const pr = buildPrometheusRule(cr, ctx)!;
  return pr.spec.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
}

function dashboardSources(cr: MaieDeployment): Source[] {
  return Object.entries(dashboards(cr)).flatMap(([key, d]) =>
    dashboardExpressions(d).map((expr, n) => ({ where: `${key} query ${n + 1}`, expr: forParser(expr) })),
  );
}

const known = new Map<string, string>([
  ...METRIC_CATALOGUE.flatMap((m) =>
    seriesNames(m).map((n) => [n, `${m.exporter} catalogue`] as [string, string]),
  ),
  ...STANDARD_METRICS.map((m) => [m.name, m.source] as [string, string]),
]);

const instances = monitoredInstances();

for (const [label, cr] of Object.entries(instances)) {
  describe(`queries of the ${label} resource (${cr.metadata.namespace}/${cr.metadata.name})`, () => {
    const sources = [...ruleSources(cr), ...dashboardSources(cr)];
    let parsed: Inspected[] = [];
    beforeAll(() => {
      parsed = inspectPromQL(sources.map((s) => s.expr));
    }, 60_000);

    test("there are alert and dashboard queries to check", () => {
      expect(ruleSources(cr).length).toBeGreaterThanOrEqual(13);
      expect(dashboardSources(cr).length).toBeGreaterThanOrEqual(30);
    });

    test("every alert and dashboard query parses with the Prometheus parser", () => {
      expect(parsed.length).toBe(sources.length);
      const errors = parsed
        .map((p, i) => ({ where: sources[i]!.where, expr: p.expr, error: p.error }))
        .filter((p) => p.error !== undefined);
      expect(errors).toEqual([]);
    });

    test("every metric read by an alert or a dashboard is catalogued or a documented standard metric", () => {
      const unknown = parsed.flatMap((p, i) =>
        p.metrics.filter((m) => !known.has(m)).map((m) => `${sources[i]!.where}: ${m}`),
      );
      expect(unknown).toEqual([]);
    });

    test("every selector is scoped to the resource's namespace", () => {
      const unscoped = parsed.flatMap((p, i) =>
        p.selectors
          .filter(
            (s) =>
              !s.matchers.some(
                (m) => m.name === "namespace" && m.type === "=" && m.value === cr.metadata.namespace,
              ),
          )
          .map((s) => `${sources[i]!.where}: ${s.metric}`),
      );
      expect(unscoped).toEqual([]);
    });

    test("every selector of a scraped MAIE metric also names the scorer job", () => {
      const ours = new Set(METRIC_CATALOGUE.filter((m) => m.exporter === "scorer").flatMap(seriesNames));
      const loose = parsed.flatMap((p, i) =>
        p.selectors
          .filter((s) => ours.has(s.metric) || s.metric === "up")
          .filter(
            (s) =>
              !s.matchers.some((m) => m.name === "job" && m.type === "=" && m.value === cr.metadata.name),
          )
          .map((s) => `${sources[i]!.where}: ${s.metric}`),
      );
      expect(loose).toEqual([]);
    });
  });
}

describe("operator alert and dashboard queries", () => {
  const exprs = [
    ...buildOperatorPrometheusRule()
      .spec.groups.flatMap((g) => g.rules)
      .map((r) => r.expr),
    ...dashboardExpressions(operatorDashboard(OPERATOR_DEFAULTS)).map(forParser),
  ];

  test("parse, read operator or standard metrics, and select the operator's namespace and job", () => {
    const parsed = inspectPromQL(exprs);
    expect(parsed.filter((p) => p.error !== undefined)).toEqual([]);
    const allowed = new Set([
      ...METRIC_CATALOGUE.filter((m) => m.exporter === "operator").flatMap(seriesNames),
      ...STANDARD_METRICS.map((m) => m.name),
    ]);
    for (const p of parsed) {
      for (const s of p.selectors) {
        expect({ metric: s.metric, known: allowed.has(s.metric) }).toEqual({ metric: s.metric, known: true });
        expect(s.matchers).toEqual(
          expect.arrayContaining([
            { name: "namespace", type: "=", value: "maie-system" },
            { name: "job", type: "=", value: OPERATOR_DEFAULTS.job },
          ]),
        );
      }
    }
  });

  test("every operator metric appears on the operator dashboard", () => {
    const used = new Set(inspectPromQL(exprs).flatMap((p) => p.metrics));
    const missing = METRIC_CATALOGUE.filter((m) => m.exporter === "operator")
      .filter((m) => !seriesNames(m).some((n) => used.has(n)))
      .map((m) => m.name);
    expect(missing).toEqual([]);
  });
});

describe("the parser check itself", () => {
  test("rejects broken queries and pattern-matched metric names, and reports selectors", () => {
    const [broken, pattern, ok] = inspectPromQL([
      'rate(foo{a="b"}[5m]',
      '{__name__=~"maie_.*"}',
      'sum(up{job="x"})',
    ]);
    expect(broken!.error).toMatch(/parse error/);
    expect(pattern!.error).toMatch(/by pattern/);
    expect(ok).toEqual({
      expr: 'sum(up{job="x"})',
      metrics: ["up"],
      selectors: [{ metric: "up", matchers: [{ name: "job", type: "=", value: "x" }] }],
    });
  });
});

describe("the metric catalogues", () => {
  test("name each metric once, in Prometheus naming style", () => {
    const names = [...METRIC_CATALOGUE.map((m) => m.name), ...STANDARD_METRICS.map((m) => m.name)];
    expect(new Set(names).size).toBe(names.length);
    for (const m of METRIC_CATALOGUE) {
      expect(m.name).toMatch(/^maie_[a-z0-9_]+$/);
      if (m.type === "counter") expect(m.name).toMatch(/_total$/);
      expect(m.help.length).toBeGreaterThan(10);
    }
  });

  test("document where every standard metric comes from", () => {
    for (const m of STANDARD_METRICS) expect(STANDARD_SOURCE_DOCS[m.source]).toMatch(/^https:\/\//);
  });

  test("every scorer metric appears on a dashboard", () => {
    const cr = instances.default;
    const parsed = inspectPromQL(dashboardSources(cr).map((s) => s.expr));
    const used = new Set(parsed.flatMap((p) => p.metrics));
    const missing = METRIC_CATALOGUE.filter((m) => m.exporter === "scorer")
      .filter((m) => !seriesNames(m).some((n) => used.has(n)))
      .map((m) => m.name);
    expect(missing).toEqual([]);
  });
});
