import { FIELD_MANAGER } from "../../../src/api/group.js";
import type { KubeObject } from "../../../src/kube/object.js";
import {
  cachedAsMetadata,
  cachesWholeContent,
  DESIRED_HASH_ANNOTATION,
  inSyncByMetadata,
  leanObject,
} from "../../../src/operator/lean-cache.js";

/** What the operator's caches keep of a live object (issue #18: memory bounded by what a reconcile reads). */

const ours = { manager: FIELD_MANAGER, operation: "Apply" };
const HASH = "0123456789abcdef";

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
        [DESIRED_HASH_ANNOTATION]: HASH,
        "kubectl.kubernetes.io/last-applied-configuration": "{...the whole object again...}",
      },
      managedFields: [
        { ...ours, apiVersion: "v1", time: "2026-12-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1 },
        { manager: "kubectl-edit", operation: "Update", fieldsV1: { "f:metadata": {} } },
      ],
    },
    ...extra,
  };
}

function desired(hash: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "alpha", namespace: "research", annotations: { [DESIRED_HASH_ANNOTATION]: hash } },
    data: { "maie.json": "{}" },
  };
}

describe("leanObject", () => {
  test("keeps who wrote (not their field sets) and drops kubectl's copy of the object", () => {
    const lean = leanObject(live("PersistentVolumeClaim", { spec: { volumeName: "pv-1" } }));
    expect(lean.metadata.managedFields).toEqual([ours, { manager: "kubectl-edit", operation: "Update" }]);
    expect(lean.metadata.annotations).toEqual({ [DESIRED_HASH_ANNOTATION]: HASH });
    expect(lean["spec"]).toEqual({ volumeName: "pv-1" });
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

  test("a Job is held without its pod template; leanObject is idempotent", () => {
    const job = leanObject(live("Job", { spec: { template: {} }, status: { succeeded: 1 } }));
    expect(job["spec"]).toBeUndefined();
    expect(job["status"]).toEqual({ succeeded: 1 });
    expect(leanObject(job)).toEqual(job);
  });
});

describe("metadata-only children", () => {
  test("kinds whose content we only write are held as metadata only; those the status reads, and claims, are not", () => {
    const metadataOnly = [
      "ConfigMap",
      "PrometheusRule",
      "ServiceMonitor",
      "Service",
      "ServiceAccount",
      "Ingress",
    ];
    expect(
      [...metadataOnly, "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"].every(
        cachedAsMetadata,
      ),
    ).toBe(true);
    expect(
      ["Deployment", "CronJob", "PersistentVolumeClaim", "Job", "MaieDeployment"].some(cachedAsMetadata),
    ).toBe(false);
  });

  test("in sync when the cached object carries the desired hash and only we wrote it", () => {
    const cached = leanObject({ ...live("ConfigMap", {}), metadata: { ...live("ConfigMap", {}).metadata } });
    const onlyOurs = { ...cached, metadata: { ...cached.metadata, managedFields: [ours] } };
    expect(inSyncByMetadata(desired(HASH), onlyOurs)).toBe(true);
    // What we want changed: the hash differs.
    expect(inSyncByMetadata(desired("fedcba9876543210"), onlyOurs)).toBe(false);
    // Someone else wrote it (kubectl edit): its content may differ from ours, so it is read and compared.
    expect(inSyncByMetadata(desired(HASH), cached)).toBe(false);
    // A status writer leaves our content alone.
    const statusWriter = {
      ...onlyOurs,
      metadata: {
        ...onlyOurs.metadata,
        managedFields: [ours, { manager: "PrometheusOperator", operation: "Apply", subresource: "status" }],
      },
    };
    expect(inSyncByMetadata(desired(HASH), statusWriter)).toBe(true);
    // Our own plain patch, taking back a list another writer held (reclaim.ts), is still us.
    const reclaimed = {
      ...onlyOurs,
      metadata: {
        ...onlyOurs.metadata,
        managedFields: [ours, { manager: FIELD_MANAGER, operation: "Update" }],
      },
    };
    expect(inSyncByMetadata(desired(HASH), reclaimed)).toBe(true);
    // No hash on the desired object: never assumed in sync.
    expect(inSyncByMetadata({ ...desired(HASH), metadata: { name: "alpha" } }, onlyOurs)).toBe(false);
    // Writers reset (a PUT with managedFields: [{}]): our apply is no longer on record, so it is read.
    expect(
      inSyncByMetadata(desired(HASH), { ...onlyOurs, metadata: { ...onlyOurs.metadata, managedFields: [] } }),
    ).toBe(false);
  });
});

describe("Deployments and CronJobs: held without their templates", () => {
  const template = {
    metadata: { labels: { app: "maie" } },
    spec: { containers: [{ name: "scorer", image: "maie:1" }] },
  };
  const deployment = (writers: unknown[], replicas = 2): KubeObject =>
    leanObject({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "alpha",
        namespace: "research",
        annotations: { [DESIRED_HASH_ANNOTATION]: HASH, "deployment.kubernetes.io/revision": "3" },
        managedFields: writers as KubeObject["metadata"]["managedFields"],
      },
      spec: { replicas, selector: { matchLabels: { app: "maie" } }, template },
      status: { readyReplicas: replicas },
    });
  const want = (hash: string, replicas?: number): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "alpha", namespace: "research", annotations: { [DESIRED_HASH_ANNOTATION]: hash } },
    spec: {
      ...(replicas !== undefined && { replicas }),
      selector: { matchLabels: { app: "maie" } },
      template,
    },
  });
  const ourApply = { ...ours, fieldsV1: { "f:spec": { "f:replicas": {}, "f:template": { "f:spec": {} } } } };
  // What kube-controller-manager leaves: the revision annotation (no subresource) and the status.
  const controllerWrites = [
    {
      manager: "kube-controller-manager",
      operation: "Update",
      fieldsV1: { "f:metadata": { "f:annotations": {} } },
    },
    {
      manager: "kube-controller-manager",
      operation: "Update",
      subresource: "status",
      fieldsV1: { "f:status": {} },
    },
  ];

  test("the template is not held; replicas, selector, status and who wrote are", () => {
    const lean = deployment([ourApply, ...controllerWrites]);
    expect(lean["spec"]).toEqual({ replicas: 2, selector: { matchLabels: { app: "maie" } } });
    expect(lean["status"]).toEqual({ readyReplicas: 2 });
    expect(lean.metadata.managedFields).toEqual([
      { ...ours, fieldsV1: { "f:spec": { "f:replicas": {} } } },
      { manager: "kube-controller-manager", operation: "Update" },
      { manager: "kube-controller-manager", operation: "Update", subresource: "status" },
    ]);
    expect(leanObject(lean)).toEqual(lean);
    const cronJob = leanObject({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "alpha-pipeline" },
      spec: { schedule: "15 22 * * *", suspend: false, jobTemplate: { spec: { template } } },
    });
    expect(cronJob["spec"]).toEqual({ schedule: "15 22 * * *", suspend: false });
    expect([
      cachesWholeContent("Deployment"),
      cachesWholeContent("CronJob"),
      cachesWholeContent("PersistentVolumeClaim"),
    ]).toEqual([false, false, true]);
  });

  test("in sync with our hash, our apply on record and no other writer under the template", () => {
    expect(inSyncByMetadata(want(HASH, 2), deployment([ourApply, ...controllerWrites]))).toBe(true);
    // The HPA writes spec.replicas through the scale subresource; the template is still ours.
    const hpa = {
      manager: "kube-controller-manager",
      operation: "Update",
      subresource: "scale",
      fieldsV1: { "f:spec": { "f:replicas": {} } },
    };
    expect(inSyncByMetadata(want(HASH), deployment([ourApply, hpa], 5))).toBe(true);
  });

  test("what is held is compared; a change of ours, a reset of writers or another writer under the template is read", () => {
    // Replicas are held: a difference there is seen without the hash.
    expect(inSyncByMetadata(want(HASH, 3), deployment([ourApply]))).toBe(false);
    expect(inSyncByMetadata(want("fedcba9876543210", 2), deployment([ourApply]))).toBe(false);
    expect(inSyncByMetadata(want(HASH, 2), deployment([]))).toBe(false);
    // kubectl rollout restart, or a kubectl edit of the image: their entry owns fields under spec.template.
    const restart = {
      manager: "kubectl-rollout",
      operation: "Update",
      fieldsV1: { "f:spec": { "f:template": { "f:metadata": { "f:annotations": {} } } } },
    };
    const lean = deployment([ourApply, restart]);
    expect(lean.metadata.managedFields?.[1]).toEqual({
      manager: "kubectl-rollout",
      operation: "Update",
      fieldsV1: { "f:spec": { "f:template": {} } },
    });
    expect(inSyncByMetadata(want(HASH, 2), lean)).toBe(false);
  });
});
