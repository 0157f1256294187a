import { PROMETHEUS_OPERATOR_MODULE, prometheusOperatorCrds } from "../../../tools/cluster/install-crds.js";
import { buildOperatorPrometheusRule, buildPrometheusRule } from "../../../src/desired/prometheus-rule.js";
import { buildServiceMonitor } from "../../../src/desired/service-monitor.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { ctx } from "../desired/helpers.js";
import { monitoredInstances } from "./instances.js";
import { type Schema, checkAgainstSchema } from "./openapi-check.js";

/**
 * The ServiceMonitor and PrometheusRule content against the real Prometheus
 * Operator CRD schemas (the release the integration tests install), offline:
 * no unknown (silently pruned) field, right types and enums. Applying them to
 * a live API server is the operator's integration test.
 */

interface Crd {
  spec: {
    names: { kind: string };
    versions: {
      name: string;
      served: boolean;
      schema: { openAPIV3Schema: { properties: { spec: Schema } } };
    }[];
  };
}

let schemas = new Map<string, Schema>();
beforeAll(async () => {
  const crds = (await prometheusOperatorCrds()) as unknown as Crd[];
  schemas = new Map(
    crds.map((c) => {
      const v1 = c.spec.versions.find((v) => v.name === "v1" && v.served);
      if (!v1) throw new Error(`no served v1 in the ${c.spec.names.kind} CRD`);
      return [c.spec.names.kind, v1.schema.openAPIV3Schema.properties.spec];
    }),
  );
}, 120_000);

function check(o: KubeObject | null): string[] {
  if (o === null) throw new Error("builder returned null");
  const schema = schemas.get(o.kind);
  if (!schema) throw new Error(`no CRD schema for ${o.kind} in ${PROMETHEUS_OPERATOR_MODULE}`);
  expect(o.apiVersion).toBe("monitoring.coreos.com/v1");
  return checkAgainstSchema(o["spec"], schema);
}

describe(`monitoring objects against the ${PROMETHEUS_OPERATOR_MODULE} CRD schemas`, () => {
  for (const [label, cr] of Object.entries(monitoredInstances())) {
    test(`service_monitor_of_the_${label}_resource_fits_the_schema`, () => {
      expect(check(buildServiceMonitor(cr, ctx))).toEqual([]);
    });
    test(`prometheus_rule_of_the_${label}_resource_fits_the_schema`, () => {
      expect(check(buildPrometheusRule(cr, ctx))).toEqual([]);
    });
  }

  test("operator_prometheus_rule_fits_the_schema", () => {
    expect(check(buildOperatorPrometheusRule())).toEqual([]);
  });

  test("the_check_catches_a_pruned_field_and_a_bad_enum", () => {
    const sm = buildServiceMonitor(monitoredInstances().default, ctx)!;
    const broken = {
      ...sm,
      spec: {
        ...sm.spec,
        endpoints: [
          { ...sm.spec.endpoints[0]!, metricRelabelings: [{ action: "rename", source_labels: ["a"] }] },
        ],
      },
    };
    const errors = check(broken);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"rename" is not one of the enum'),
        expect.stringContaining("unknown field source_labels"),
      ]),
    );
  });
});
