import { computeStatus, invalidSpecStatus, type Observations } from "../../../src/operator/status.js";
import { cronJobFacts, deploymentFacts } from "../../../src/operator/observe.js";
import { mergeConditions } from "../../../src/operator/conditions.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { sampleResource } from "../api/fixtures.js";

const NOW = "2026-11-28T12:00:00Z";

function deployment(status: Record<string, unknown>, replicas = 2, generation = 1): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "alpha", generation },
    spec: { replicas },
    status,
  };
}

const available = deployment({
  observedGeneration: 1,
  replicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
  updatedReplicas: 2,
  conditions: [{ type: "Available", status: "True" }],
});

function obs(over: Partial<Observations> = {}): Observations {
  return {
    children: [{ kind: "Deployment", name: "alpha", applied: true }],
    monitoring: { state: "Applied", message: "ok" },
    deployment: deploymentFacts(available),
    pipeline: { lastSuccess: undefined, lastOutcome: undefined, lastFailureMessage: undefined },
    backup: "disabled",
    pendingClaims: [],
    changed: 0,
    model: { model: { source: "models/model.txt", format: "auto" } },
    ...over,
  };
}

const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe("computeStatus", () => {
  test("sets all seven conditions, Unknown for facts not yet seen", () => {
    const s = computeStatus(sampleResource(), obs({ deployment: deploymentFacts(undefined) }), NOW);
    expect(s.conditions?.map((c) => c.type)).toEqual([
      "Ready",
      "Available",
      "Progressing",
      "Degraded",
      "PipelineHealthy",
      "BackupHealthy",
      "MonitoringConfigured",
    ]);
    expect(cond(s, "Available")).toMatchObject({ status: "Unknown", reason: "DeploymentMissing" });
    expect(cond(s, "Ready")).toMatchObject({ status: "Unknown" });
    expect(cond(s, "PipelineHealthy")).toMatchObject({ status: "Unknown", reason: "NoRunYet" });
  });

  test("Ready is True only when the Deployment is available and nothing is degraded", () => {
    expect(cond(computeStatus(sampleResource(), obs(), NOW), "Ready")).toMatchObject({ status: "True" });
    const failed = computeStatus(
      sampleResource(),
      obs({ children: [{ kind: "Service", name: "alpha", applied: false, error: "boom" }] }),
      NOW,
    );
    expect(cond(failed, "Ready")).toMatchObject({ status: "False", reason: "ApplyFailed" });
    expect(cond(failed, "Degraded")?.message).toContain("Service/alpha: boom");
  });

  test("a child conflict is Degraded/ChildConflict (listed before apply failures), not an apply failure, and makes Ready False", () => {
    const s = computeStatus(
      sampleResource(),
      obs({
        children: [
          { kind: "Deployment", name: "alpha", applied: true },
          { kind: "Service", name: "alpha", applied: false, error: "etcd timeout" },
          {
            kind: "PersistentVolumeClaim",
            name: "alpha-data",
            applied: false,
            conflict: "PVC/alpha-data is not ours",
          },
        ],
      }),
      NOW,
    );
    expect(cond(s, "Degraded")).toMatchObject({
      status: "True",
      reason: "ChildConflict",
      message: "PVC/alpha-data is not ours; Service/alpha: etcd timeout",
    });
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "ChildConflict" });
    expect(s.children).toContainEqual({ kind: "PersistentVolumeClaim", name: "alpha-data", applied: false });
  });

  test('monitoring required ("true") but CRDs missing is Degraded; auto is only reported', () => {
    const missing = { state: "CRDNotInstalled", message: "not served" } as const;
    const auto = computeStatus(sampleResource(), obs({ monitoring: missing }), NOW);
    expect(cond(auto, "MonitoringConfigured")).toMatchObject({ status: "False", reason: "CRDNotInstalled" });
    expect(cond(auto, "Degraded")).toMatchObject({ status: "False" });
    const required = computeStatus(
      sampleResource({ monitoring: { alerts: { enabled: "Enabled" } } }),
      obs({ monitoring: missing }),
      NOW,
    );
    expect(cond(required, "Degraded")).toMatchObject({ status: "True", reason: "CRDNotInstalled" });
  });

  test("scale subresource fields, endpoint and kubectl summary", () => {
    const s = computeStatus(sampleResource({ scorer: { port: 9000 } }), obs(), NOW);
    expect(s).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      readyReplicas: 2,
      replicaSummary: "2/2",
      selector:
        "app.kubernetes.io/name=maie,app.kubernetes.io/instance=alpha,app.kubernetes.io/component=scorer",
      endpoint: "http://alpha.research.svc:9000",
    });
  });

  test("a failed last pipeline Job makes PipelineHealthy False with the Job's message", () => {
    const cron: KubeObject = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "alpha-pipeline", uid: "c1" },
      status: { lastSuccessfulTime: "2026-11-26T22:20:00Z" },
    };
    const job = (name: string, type: string, at: string): KubeObject => ({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name,
        ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "alpha-pipeline", uid: "c1" }],
      },
      status: {
        conditions: [
          {
            type,
            status: "True",
            reason: type === "Failed" ? "BackoffLimitExceeded" : undefined,
            lastTransitionTime: at,
          },
        ],
      },
    });
    const facts = cronJobFacts(cron, [
      job("j1", "Complete", "2026-11-26T22:20:00Z"),
      job("j2", "Failed", "2026-11-27T22:25:00Z"),
    ]);
    expect(facts).toMatchObject({ lastOutcome: "failed", lastSuccess: "2026-11-26T22:20:00Z" });
    const s = computeStatus(sampleResource(), obs({ pipeline: facts }), NOW);
    expect(cond(s, "PipelineHealthy")).toMatchObject({ status: "False", reason: "JobFailed" });
    expect(cond(s, "PipelineHealthy")?.message).toContain("j2");
    expect(s.lastPipelineSuccess).toBe("2026-11-26T22:20:00Z");
  });

  test("Jobs of another CronJob are ignored", () => {
    const cron: KubeObject = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "a", uid: "mine" },
    };
    const other: KubeObject = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: "x",
        ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "b", uid: "theirs" }],
      },
      status: { conditions: [{ type: "Failed", status: "True" }] },
    };
    expect(cronJobFacts(cron, [other]).lastOutcome).toBeUndefined();
  });

  test("an unbound claim is named in Progressing, not hidden behind Complete", () => {
    const s = computeStatus(
      sampleResource(),
      obs({ pendingClaims: [{ name: "alpha-data", storageClassName: undefined }] }),
      NOW,
    );
    expect(cond(s, "Progressing")).toMatchObject({ status: "True", reason: "PersistentVolumeClaimsPending" });
    expect(cond(s, "Progressing")?.message).toContain(
      "alpha-data (no storage class and no default StorageClass)",
    );
  });

  test("a Deployment still rolling out is Progressing; one past its deadline is Degraded", () => {
    const rolling = deploymentFacts(
      deployment({ observedGeneration: 1, replicas: 3, updatedReplicas: 1, availableReplicas: 2 }, 2),
    );
    expect(
      cond(computeStatus(sampleResource(), obs({ deployment: rolling }), NOW), "Progressing"),
    ).toMatchObject({ status: "True", reason: "RollingOut" });
    const stuck = deploymentFacts(
      deployment({
        conditions: [
          { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" },
        ],
      }),
    );
    expect(cond(computeStatus(sampleResource(), obs({ deployment: stuck }), NOW), "Degraded")).toMatchObject({
      status: "True",
      reason: "ProgressDeadlineExceeded",
    });
  });
});

describe("a newest model that did not load while the last good one serves", () => {
  const served = {
    source: "models:/maie-alpha@champion",
    format: "auto",
    sha256: "a".repeat(64),
    digest: "sha256:aaaaaaaaaaaa",
    registry: { name: "maie-alpha", alias: "champion", version: "2", ref: "maie-alpha@champion→v2" },
  };

  test("is Degraded/ModelUpdateFailed naming what serves and the pods' words; Ready stays True", () => {
    const s = computeStatus(
      sampleResource(),
      obs({
        model: {
          model: served,
          updateFailed: "alpha-1: maie-alpha@champion→v3: the model's flavors are python_function",
        },
      }),
      NOW,
    );
    expect(cond(s, "Degraded")).toMatchObject({ status: "True", reason: "ModelUpdateFailed" });
    expect(cond(s, "Degraded")?.message).toBe(
      "the scorer pods keep serving maie-alpha@champion→v2; the newest model did not load: alpha-1: maie-alpha@champion→v3: the model's flavors are python_function",
    );
    expect(cond(s, "Ready")).toMatchObject({ status: "True", reason: "Ready" });
  });

  test("with another problem too, Ready is False for that one, not for the model", () => {
    const s = computeStatus(
      sampleResource(),
      obs({
        children: [{ kind: "Service", name: "alpha", applied: false, error: "boom" }],
        model: { model: served, updateFailed: "alpha-1: corrupt" },
      }),
      NOW,
    );
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "ApplyFailed" });
    expect(cond(s, "Degraded")?.message).toContain("keep serving maie-alpha@champion→v2");
  });
});

describe("conditions", () => {
  test("lastTransitionTime moves only when the status flips", () => {
    const first = mergeConditions(
      undefined,
      [{ type: "Ready", status: "False", reason: "A", message: "" }],
      1,
      "t1",
    );
    const same = mergeConditions(
      first,
      [{ type: "Ready", status: "False", reason: "B", message: "changed" }],
      2,
      "t2",
    );
    expect(same[0]).toMatchObject({ lastTransitionTime: "t1", reason: "B", observedGeneration: 2 });
    const flipped = mergeConditions(
      same,
      [{ type: "Ready", status: "True", reason: "C", message: "" }],
      2,
      "t3",
    );
    expect(flipped[0]?.lastTransitionTime).toBe("t3");
  });

  test("an invalid spec is reported with every condition and the reason", () => {
    const s = invalidSpecStatus(undefined, 4, "spec.replicas: too big", NOW);
    expect(s.observedGeneration).toBe(4);
    expect(s.conditions).toHaveLength(7);
    expect(s.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "InvalidSpec",
      message: "spec.replicas: too big",
    });
  });
});
