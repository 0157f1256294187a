import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { buildOperatorPrometheusRule, buildPrometheusRule } from "../../../src/desired/prometheus-rule.js";
import type { AlertingRule, RuleGroup } from "../../../src/desired/monitoring/rule-types.js";
import { ctx } from "../desired/helpers.js";
import { monitoredInstances } from "./instances.js";
import { type AlertCase, instanceCases, instanceOf, operatorCases } from "./rule-cases.js";
import { run, toolPath } from "./tools.js";

/**
 * The rules the builders produce, checked and unit-tested by the real
 * promtool (tools/build-binaries.sh builds it). For every alert there is a
 * case where it fires and one where it stays quiet; each case is one
 * promtool run, so a failure names the case.
 */

const dir = mkdtempSync(join(tmpdir(), "maie-promtool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeRules(file: string, groups: readonly RuleGroup[]): string {
  const path = join(dir, file);
  writeFileSync(path, YAML.stringify({ groups }, { lineWidth: 0 }));
  return path;
}

function promtool(args: string[]) {
  return run(toolPath("promtool"), args, { cwd: dir });
}

function ruleByName(groups: readonly RuleGroup[]): Map<string, AlertingRule> {
  return new Map(groups.flatMap((g) => g.rules.map((r) => [r.alert, r] as const)));
}

const caseName = (c: AlertCase) => `${c.alert} ${c.title}`;
const stepOf = (c: AlertCase) => c.step ?? "1m";

/** A promtool unit-test file with one test group per case. */
function testFile(
  rulesFile: string,
  rules: Map<string, AlertingRule>,
  step: string,
  cases: readonly AlertCase[],
): string {
  return YAML.stringify(
    {
      rule_files: [rulesFile],
      evaluation_interval: step,
      tests: cases.map((c) => {
        const rule = rules.get(c.alert);
        if (!rule) throw new Error(`case for ${c.alert}, which is not in ${rulesFile}`);
        return {
          name: caseName(c),
          interval: step,
          input_series: c.series.map((s) => ({ series: s.series, values: s.values })),
          alert_rule_test: c.checks.map((ch) => ({
            eval_time: ch.evalTime,
            alertname: c.alert,
            exp_alerts: ch.expect.map((e) => ({
              exp_labels: e.labels,
              exp_annotations: {
                summary: rule.annotations.summary,
                description: e.description,
                runbook_url: rule.annotations.runbook_url,
              },
            })),
          })),
        };
      }),
    },
    { lineWidth: 0 },
  );
}

/**
 * One promtool process runs every case of a rule file with the same step (a
 * process per case costs a second each); each case is still its own Jest
 * test, failing when promtool reports a failure under the case's name.
 */
function suite(label: string, rulesFile: string, groups: readonly RuleGroup[], cases: readonly AlertCase[]) {
  describe(label, () => {
    const rules = ruleByName(groups);
    let rulesPath = "";
    const steps = [...new Set(cases.map(stepOf))];
    const results = new Map<string, { status: number | null; out: string }>();
    beforeAll(() => {
      rulesPath = writeRules(rulesFile, groups);
      for (const step of steps) {
        const tests = join(dir, `${rulesFile}.${step}.test.yaml`);
        writeFileSync(
          tests,
          testFile(
            rulesFile,
            rules,
            step,
            cases.filter((c) => stepOf(c) === step),
          ),
        );
        const r = promtool(["test", "rules", tests]);
        results.set(step, { status: r.status, out: r.stdout + r.stderr });
      }
    }, 300_000);

    test("promtool check rules accepts the rule file (syntax, templates, lint)", () => {
      const r = promtool(["check", "rules", "--lint-fatal", rulesPath]);
      // The output first: on a failure it is what the message shows.
      expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.size} rules found`);
      expect(r.status).toBe(0);
    });

    test("every alert has a case where it fires and one where it stays quiet", () => {
      for (const alert of rules.keys()) {
        expect({ alert, fires: cases.some((c) => c.alert === alert && c.fires) }).toEqual({
          alert,
          fires: true,
        });
        expect({ alert, quiet: cases.some((c) => c.alert === alert && !c.fires) }).toEqual({
          alert,
          quiet: true,
        });
      }
      for (const c of cases) expect(rules.has(c.alert)).toBe(true);
    });

    test("promtool test rules passes every case", () => {
      expect(results.size).toBe(steps.length);
      for (const [step, result] of results) {
        if (result.status !== 0) throw new Error(`promtool test rules (step ${step}) failed:\n${result.out}`);
        expect(result.out).toContain("SUCCESS");
      }
    });

    for (const c of cases) {
      test(`promtool test rules: ${caseName(c)}`, () => {
        const result = results.get(stepOf(c));
        if (result === undefined) throw new Error("promtool did not run");
        const failed = result.out
          .split(/\n\s*FAILED:\n/)
          .slice(1)
          .find((b) => b.includes(`name: ${caseName(c)},`));
        if (failed !== undefined) throw new Error(`promtool reports:\n${failed}`);
        expect(result.out).not.toContain(`name: ${caseName(c)},`);
      });
    }
  });
}

const instances = monitoredInstances();
for (const [label, cr] of Object.entries(instances)) {
  const pr = buildPrometheusRule(cr, ctx);
  if (!pr) throw new Error(`no PrometheusRule for the ${label} resource`);
  suite(
    `PrometheusRule of the ${label} resource (${cr.metadata.namespace}/${cr.metadata.name})`,
    `instance-${label}.rules.yaml`,
    pr.spec.groups,
    instanceCases(instanceOf(cr)),
  );
}

for (const [label, scope] of Object.entries({
  default: { namespace: "maie-system", job: "maie-operator" },
  customised: { namespace: "platform-ops", job: "maie" },
})) {
  suite(
    `operator PrometheusRule (${label}: ${scope.namespace}/${scope.job})`,
    `operator-${label}.rules.yaml`,
    buildOperatorPrometheusRule(scope).spec.groups,
    operatorCases(scope),
  );
}
