import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { renderCrdYaml } from "../../../src/cli/commands/generate.js";
import { buildCrd } from "../../../src/api/crd.js";
import { CRD_FILE } from "../../../src/api/group.js";
import { toStructural } from "../../../src/api/structural-schema.js";

type Schema = { [k: string]: unknown };

function walk(node: Schema, path: string, visit: (node: Schema, path: string) => void): void {
  visit(node, path);
  const props = node["properties"] as Record<string, Schema> | undefined;
  for (const [k, v] of Object.entries(props ?? {})) walk(v, `${path}.${k}`, visit);
  const items = node["items"] as Schema | undefined;
  if (items !== undefined) walk(items, `${path}[]`, visit);
}

const specSchema = () => {
  const v = buildCrd().spec.versions[0]!;
  return v.schema.openAPIV3Schema.properties.spec as Schema;
};

describe("the generated CRD", () => {
  test("crds/ is identical to the generator's output (run `npm run generate` after changing src/api)", () => {
    expect(readFileSync(CRD_FILE, "utf8")).toBe(renderCrdYaml());
  });

  test("every spec field has a description, so kubectl explain is useful", () => {
    const missing: string[] = [];
    walk(specSchema(), "spec", (node, path) => {
      if (typeof node["description"] !== "string" || node["description"].length < 3) missing.push(path);
    });
    expect(missing).toEqual([]);
  });

  test("every node is typed or an explicit Kubernetes escape hatch (structural schema)", () => {
    const untyped: string[] = [];
    walk(specSchema(), "spec", (node, path) => {
      if (node["type"] === undefined && node["x-kubernetes-int-or-string"] !== true) untyped.push(path);
      if (node["anyOf"] !== undefined && node["x-kubernetes-int-or-string"] !== true)
        untyped.push(`${path} (anyOf)`);
      if (node["additionalProperties"] === false) untyped.push(`${path} (additionalProperties: false)`);
    });
    expect(untyped).toEqual([]);
  });

  test("declares status and scale subresources and the kubectl columns", () => {
    const v = buildCrd().spec.versions[0]!;
    expect(v.subresources.scale).toEqual({
      specReplicasPath: ".spec.replicas",
      statusReplicasPath: ".status.replicas",
      labelSelectorPath: ".status.selector",
    });
    expect(v.additionalPrinterColumns.map((c) => c.name)).toEqual([
      "Ready",
      "Replicas",
      "Model",
      "Registered",
      "Last-Pipeline",
      "Last-Backup",
      "Age",
    ]);
  });

  test("cross-field rules are CEL validations on the right objects", () => {
    const spec = specSchema() as { properties: Record<string, Schema> };
    const rules = (name: string) =>
      (spec.properties[name]!["x-kubernetes-validations"] as { rule: string }[]).map((r) => r.rule);
    expect(rules("autoscaling")).toContain("self.minReplicas <= self.maxReplicas");
    expect(rules("ingress").join()).toContain("has(self.host)");
    expect(rules("model").join()).toContain("endsWith('.json')");
  });

  test("the conditions list is a map keyed by type, as kubectl and server-side apply expect", () => {
    const v = buildCrd().spec.versions[0]!;
    const status = v.schema.openAPIV3Schema.properties.status as { properties: Record<string, Schema> };
    expect(status.properties["conditions"]).toMatchObject({
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    });
  });

  test("the committed YAML parses back to the same object", () => {
    expect(parse(readFileSync(CRD_FILE, "utf8"))).toEqual(JSON.parse(JSON.stringify(buildCrd())));
  });
});

describe("toStructural", () => {
  test("marks free-form maps as preserve-unknown-fields and drops JavaScript's safe-integer bounds", () => {
    expect(toStructural({ type: "object", additionalProperties: {} })).toEqual({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    expect(toStructural({ type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER })).toEqual({
      type: "integer",
      minimum: 0,
    });
  });

  test("refuses a union that Kubernetes cannot express", () => {
    expect(() => toStructural({ anyOf: [{ type: "string" }, { type: "boolean" }] })).toThrow(
      /not structural/,
    );
  });

  test("refuses an untyped node", () => {
    expect(() => toStructural({ description: "x" })).toThrow(/without a type/);
  });
});
