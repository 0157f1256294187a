import { FIELD_MANAGER } from "../../../src/api/group.js";
import { sha256Of } from "../../../src/desired/plain.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { isSubset } from "../../../src/operator/child-diff.js";
import {
  cachedWithoutPayload,
  comparableDesired,
  leanObject,
  PAYLOAD_DIGEST_KEY,
} from "../../../src/operator/lean-cache.js";

/** What the operator's caches keep of a live object (issue #18: memory bounded by what a reconcile reads). */

const ours = { manager: FIELD_MANAGER, operation: "Apply", apiVersion: "v1", fieldsType: "FieldsV1" };

function live(
  kind: string,
  extra: Record<string, unknown>,
  fieldsV1: unknown = { "f:data": {} },
): KubeObject {
  return {
    apiVersion: "v1",
    kind,
    metadata: {
      name: "alpha",
      namespace: "research",
      resourceVersion: "42",
      annotations: {
        "maie.io/desired-hash": "0123456789abcdef",
        "kubectl.kubernetes.io/last-applied-configuration": "{...the whole object again...}",
      },
      managedFields: [
        { ...ours, fieldsV1 },
        { manager: "kubectl-edit", operation: "Update", fieldsV1: { "f:metadata": {} } },
        { ...ours, subresource: "status", fieldsV1: { "f:status": {} } },
      ],
    },
    ...extra,
  };
}

describe("leanObject", () => {
  test("keeps our own Apply entry without its field set, and drops every other manager's and kubectl's copy", () => {
    const lean = leanObject(live("Service", { spec: { ports: [{ port: 8000 }] } }));
    expect(lean.metadata.managedFields).toEqual([ours]);
    expect(lean.metadata.annotations).toEqual({ "maie.io/desired-hash": "0123456789abcdef" });
    expect(lean["spec"]).toEqual({ ports: [{ port: 8000 }] });
    expect(lean.metadata.resourceVersion).toBe("42");
  });

  test("a Deployment keeps only whether we own spec.replicas (the HPA hand-over asks exactly that)", () => {
    const owning = leanObject(
      live("Deployment", {}, { "f:spec": { "f:replicas": {}, "f:template": { "f:spec": {} } } }),
    );
    expect(owning.metadata.managedFields?.[0]?.fieldsV1).toEqual({ "f:spec": { "f:replicas": {} } });
    const notOwning = leanObject(live("Deployment", {}, { "f:spec": { "f:template": {} } }));
    expect(notOwning.metadata.managedFields?.[0]?.fieldsV1).toBeUndefined();
  });

  test("a dashboards ConfigMap and a PrometheusRule are held as digests; a Job without its pod template", () => {
    const data = { "maie.json": "x".repeat(50_000) };
    const cm = leanObject(live("ConfigMap", { data }));
    expect(cm["data"]).toEqual({ [PAYLOAD_DIGEST_KEY]: sha256Of(data) });
    expect(JSON.stringify(cm).length).toBeLessThan(600);
    const rule = leanObject(live("PrometheusRule", { spec: { groups: [{ name: "maie", rules: [] }] } }));
    expect(Object.keys(rule["spec"] as object)).toEqual([PAYLOAD_DIGEST_KEY]);
    const job = leanObject(live("Job", { spec: { template: {} }, status: { succeeded: 1 } }));
    expect(job["spec"]).toBeUndefined();
    expect(job["status"]).toEqual({ succeeded: 1 });
    expect(["ConfigMap", "PrometheusRule", "Job"].every(cachedWithoutPayload)).toBe(true);
    expect(["Deployment", "Service", "PersistentVolumeClaim"].some(cachedWithoutPayload)).toBe(false);
  });

  test("is idempotent, and the desired object digested the same way is a subset exactly when the payload is equal", () => {
    const data = { "maie.json": '{"panels":[]}' };
    const cached = leanObject(live("ConfigMap", { data }));
    expect(leanObject(cached)).toEqual(cached);
    const desired: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "alpha", namespace: "research" },
      data,
    };
    expect(isSubset(comparableDesired(desired), cached)).toBe(true);
    expect(isSubset(comparableDesired({ ...desired, data: { "maie.json": "{}" } }), cached)).toBe(false);
    // Someone else's extra key changes the digest: the applier then reads the whole object to decide.
    const edited = leanObject(live("ConfigMap", { data: { ...data, extra: "1" } }));
    expect(isSubset(comparableDesired(desired), edited)).toBe(false);
  });
});
