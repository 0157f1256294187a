import { buildCrd } from "../../../src/api/crd.js";
import { triStatePaths } from "../../../src/api/crd-docs.js";
import { parseMaieDeployment } from "../../../src/api/parse.js";
import type { JsonSchema } from "../../../src/api/structural-schema.js";
import { TRI_STATE_PATHS, upgradeLegacyTriStates } from "../../../src/api/tri-state.js";

describe("the tri-state fields (Auto | Enabled | Disabled)", () => {
  test("TRI_STATE_PATHS lists exactly the tri-states of the generated CRD", () => {
    const spec = buildCrd().spec.versions[0]!.schema.openAPIV3Schema.properties.spec as JsonSchema;
    expect(triStatePaths(spec, "spec", []).sort()).toEqual(
      TRI_STATE_PATHS.map((p) => `spec.${p.join(".")}`).sort(),
    );
  });

  test("the old strings are read as the new values, with a note saying what to write", () => {
    const stored = {
      replicas: 3,
      monitoring: { serviceMonitor: { enabled: "auto", interval: "15s" }, alerts: { enabled: "false" } },
      podDisruptionBudget: { enabled: "true", minAvailable: 2 },
    };
    const before = structuredClone(stored);
    const out = upgradeLegacyTriStates(stored);
    expect(out.spec).toEqual({
      replicas: 3,
      monitoring: { serviceMonitor: { enabled: "Auto", interval: "15s" }, alerts: { enabled: "Disabled" } },
      podDisruptionBudget: { enabled: "Enabled", minAvailable: 2 },
    });
    expect(out.notes).toEqual([
      'spec.monitoring.serviceMonitor.enabled: "auto" is the old spelling; write Auto',
      'spec.monitoring.alerts.enabled: "false" is the old spelling; write Disabled',
      'spec.podDisruptionBudget.enabled: "true" is the old spelling; write Enabled',
    ]);
    expect(stored).toEqual(before);
  });

  test("new values, absent fields and anything else pass through untouched for the schema to judge", () => {
    for (const spec of [
      {},
      { podDisruptionBudget: { enabled: "Enabled" } },
      { podDisruptionBudget: true },
      null,
    ]) {
      const out = upgradeLegacyTriStates(spec);
      expect(out.spec).toBe(spec);
      expect(out.notes).toEqual([]);
    }
    const parsed = parseMaieDeployment({ spec: { podDisruptionBudget: { enabled: true } } });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain("spec.podDisruptionBudget.enabled");
  });

  test("a parsed resource carries the notes and the new values", () => {
    const parsed = parseMaieDeployment({
      metadata: { name: "a" },
      spec: { monitoring: { alerts: { enabled: "true" } } },
    });
    expect(parsed.ok && parsed.value.spec.monitoring.alerts.enabled).toBe("Enabled");
    expect(parsed.ok && parsed.notes).toEqual([
      'spec.monitoring.alerts.enabled: "true" is the old spelling; write Enabled',
    ]);
  });
});
