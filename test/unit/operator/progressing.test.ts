import type { KubeObject } from "../../../src/kube/object.js";
import { deploymentFacts, pendingClaims } from "../../../src/operator/observe.js";
import { pendingClaimsMessage, progressingCondition } from "../../../src/operator/progressing.js";

/**
 * Unbound claims are named in Progressing with the class they wait on: on a
 * cluster without a dynamic provisioner that is the only hint in the status.
 */

function claim(name: string, phase: string | undefined, storageClassName?: string | null): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "research" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      ...(storageClassName !== undefined && { storageClassName }),
    },
    ...(phase !== undefined && { status: { phase } }),
  };
}

const rolledOut = deploymentFacts({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "alpha", generation: 1 },
  spec: { replicas: 2 },
  status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 },
});
const rolling = deploymentFacts({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "alpha", generation: 1 },
  spec: { replicas: 2 },
  status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 0, readyReplicas: 0 },
});

describe("pendingClaims", () => {
  test("reports Pending claims with the class the apiserver stored; Bound ones, ones without a phase and ones not in the cache are not", () => {
    expect(
      pendingClaims([
        claim("alpha-data", "Pending"),
        claim("alpha-backups", "Bound", "standard"),
        undefined,
        claim("beta-data", "Pending", "fast"),
        claim("beta-backups", undefined),
      ]),
    ).toEqual([
      { name: "alpha-data", storageClassName: undefined },
      { name: "beta-data", storageClassName: "fast" },
    ]);
  });

  test("an explicit null class is the same as an absent one", () => {
    expect(pendingClaims([claim("alpha-data", "Pending", null)])).toEqual([
      { name: "alpha-data", storageClassName: undefined },
    ]);
  });
});

describe("pendingClaimsMessage", () => {
  test("names each claim and its storage class, or says there is none and no default", () => {
    expect(
      pendingClaimsMessage([
        { name: "alpha-data", storageClassName: undefined },
        { name: "alpha-backups", storageClassName: "fast" },
        { name: "old-data", storageClassName: "" },
      ]),
    ).toBe(
      "PersistentVolumeClaim(s) not bound yet: alpha-data (no storage class and no default StorageClass), " +
        'alpha-backups (storage class "fast"), old-data (storage class "": binds only to a matching PersistentVolume)',
    );
  });
});

describe("progressingCondition", () => {
  const pending = [{ name: "alpha-data", storageClassName: undefined }] as const;

  test("with nothing pending it is what it was: ChildrenUpdated, RollingOut, Complete", () => {
    expect(progressingCondition(3, rolledOut, [])).toEqual({
      type: "Progressing",
      status: "True",
      reason: "ChildrenUpdated",
      message: "3 child object(s) created, updated or deleted",
    });
    expect(progressingCondition(0, rolling, [])).toMatchObject({
      status: "True",
      reason: "RollingOut",
      message: "0/2 scorer pods ready",
    });
    expect(progressingCondition(0, rolledOut, [])).toMatchObject({ status: "False", reason: "Complete" });
  });

  test("a pending claim is named in every Progressing message while it lasts", () => {
    const hint =
      "PersistentVolumeClaim(s) not bound yet: alpha-data (no storage class and no default StorageClass)";
    expect(progressingCondition(2, rolling, pending)).toMatchObject({
      reason: "ChildrenUpdated",
      message: `2 child object(s) created, updated or deleted; ${hint}`,
    });
    expect(progressingCondition(0, rolling, pending)).toMatchObject({
      reason: "RollingOut",
      message: `0/2 scorer pods ready; ${hint}`,
    });
  });

  test("once rolled out, a claim that cannot bind by itself (no class, no default) keeps it True", () => {
    expect(
      progressingCondition(0, rolledOut, [{ name: "alpha-backups", storageClassName: undefined }]),
    ).toEqual({
      type: "Progressing",
      status: "True",
      reason: "PersistentVolumeClaimsPending",
      message:
        "PersistentVolumeClaim(s) not bound yet: alpha-backups (no storage class and no default StorageClass)",
    });
    expect(
      progressingCondition(0, rolledOut, [{ name: "alpha-backups", storageClassName: "" }]),
    ).toMatchObject({
      status: "True",
      reason: "PersistentVolumeClaimsPending",
    });
  });

  test("once rolled out, a claim with a class (maybe waiting for its first consumer, the backup Job) is named but Complete", () => {
    expect(
      progressingCondition(0, rolledOut, [{ name: "alpha-backups", storageClassName: "local-path" }]),
    ).toEqual({
      type: "Progressing",
      status: "False",
      reason: "Complete",
      message:
        "children match the spec and the rollout is complete; " +
        'PersistentVolumeClaim(s) not bound yet: alpha-backups (storage class "local-path")',
    });
  });
});
