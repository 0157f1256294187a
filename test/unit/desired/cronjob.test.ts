import type { V1Container, V1CronJob, V1PodSpec } from "@kubernetes/client-node";
import {
  buildBackupCronJob,
  buildLoaderCronJob,
  buildPipelineCronJob,
  LOADER_IDLE_SECONDS,
} from "../../../src/desired/cronjob.js";
import { objectStoreAccess } from "../../../src/desired/object-store.js";
import { as, ctx, expectedLabels, OWNER, resource, restrictedViolations } from "./helpers.js";

const pipeline = (spec: unknown = {}) => as<V1CronJob>(buildPipelineCronJob(resource(spec), ctx));
const backup = (spec: unknown = {}) => as<V1CronJob>(buildBackupCronJob(resource(spec), ctx));
const loader = (spec: unknown = {}) => as<V1CronJob>(buildLoaderCronJob(resource(spec), ctx));
const pod = (cj: V1CronJob): V1PodSpec => cj.spec.jobTemplate.spec!.template.spec!;
const only = (cj: V1CronJob): V1Container => {
  const cs = pod(cj).containers;
  expect(cs).toHaveLength(1);
  return cs[0]!;
};
const env = (c: V1Container): Record<string, unknown> =>
  Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

describe("buildPipelineCronJob", () => {
  test("schedules `maie pipeline run` daily, never overlapping, with bounded history and deadline", () => {
    const cj = pipeline();
    expect(cj.apiVersion).toBe("batch/v1");
    expect(cj.metadata).toEqual({
      name: "alpha-pipeline",
      namespace: "research",
      labels: expectedLabels("pipeline"),
      ownerReferences: [OWNER],
    });
    expect(cj.spec).toMatchObject({
      schedule: "15 22 * * *",
      timeZone: "UTC",
      suspend: false,
      concurrencyPolicy: "Forbid",
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    expect(cj.spec.jobTemplate.spec).toMatchObject({ activeDeadlineSeconds: 3600, backoffLimit: 2 });
    expect(pod(cj).restartPolicy).toBe("Never");
    const c = only(cj);
    expect(c.image).toBe("ghcr.io/maie/maie:0.1.0");
    expect(c).not.toHaveProperty("command");
    expect(c.args).toEqual(["pipeline", "run"]);
    expect(env(c)).toEqual({
      MAIE_DATA_DIR: "/data",
      MAIE_MODEL_PATH: "models/model.txt",
      MAIE_MODEL_FORMAT: "auto",
    });
  });

  test("job and pod templates carry the pipeline labels, the pods also the data-volume label", () => {
    const cj = pipeline();
    expect(cj.spec.jobTemplate.metadata?.labels).toEqual(expectedLabels("pipeline"));
    expect(cj.spec.jobTemplate.spec?.template.metadata?.labels).toEqual({
      ...expectedLabels("pipeline"),
      "maie.io/data-volume": "alpha-data",
    });
    const rwx = pipeline({ storage: { data: { accessModes: ["ReadWriteMany"] } } });
    expect(rwx.spec.jobTemplate.spec?.template.metadata?.labels).toEqual(expectedLabels("pipeline"));
  });

  test("schedule, time zone, suspend, limits and deadline come from spec.pipeline", () => {
    const cj = pipeline({
      pipeline: {
        schedule: "0 6 * * 1-5",
        timeZone: "Europe/London",
        suspend: true,
        activeDeadlineSeconds: 600,
        backoffLimit: 0,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 7,
      },
    });
    expect(cj.spec).toMatchObject({
      schedule: "0 6 * * 1-5",
      timeZone: "Europe/London",
      suspend: true,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 7,
    });
    expect(cj.spec.jobTemplate.spec).toMatchObject({ activeDeadlineSeconds: 600, backoffLimit: 0 });
  });

  test("mounts the same data claim as the scorer, at /data, and passes the restricted profile", () => {
    const p = pod(pipeline());
    expect(p.volumes).toContainEqual({ name: "data", persistentVolumeClaim: { claimName: "alpha-data" } });
    expect(only(pipeline()).volumeMounts).toContainEqual({ name: "data", mountPath: "/data" });
    expect(restrictedViolations(p)).toEqual([]);
    expect(only(pipeline()).securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(p.serviceAccountName).toBe("alpha");
    expect(p.automountServiceAccountToken).toBe(false);
  });

  test("image, args, env and envFrom overrides; user env replaces ours by name without duplicates", () => {
    const c = only(
      pipeline({
        pipeline: {
          image: "p:2",
          args: ["pipeline", "run", "--tickers", "A,B"],
          env: [
            { name: "MAIE_DATA_DIR", value: "/data/alt" },
            { name: "TOKEN", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
          ],
          envFrom: [{ configMapRef: { name: "cm" } }],
        },
      }),
    );
    expect(c.image).toBe("p:2");
    expect(c.args).toEqual(["pipeline", "run", "--tickers", "A,B"]);
    expect(c.env?.map((e) => e.name)).toEqual([
      "MAIE_DATA_DIR",
      "MAIE_MODEL_PATH",
      "MAIE_MODEL_FORMAT",
      "TOKEN",
    ]);
    expect(env(c)["MAIE_DATA_DIR"]).toBe("/data/alt");
    expect(env(c)["TOKEN"]).toEqual({ secretKeyRef: { name: "s", key: "k" } });
    expect(c.envFrom).toEqual([{ configMapRef: { name: "cm" } }]);
  });

  test("a command override without args gets no default args", () => {
    const c = only(pipeline({ pipeline: { command: ["python", "-m", "maie.pipeline"] } }));
    expect(c.command).toEqual(["python", "-m", "maie.pipeline"]);
    expect(c).not.toHaveProperty("args");
  });

  test("requires the data-volume sharers' node while the volume is single-node, and leaves placement free otherwise", () => {
    const required = {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchLabels: { "maie.io/data-volume": "alpha-data" } },
            topologyKey: "kubernetes.io/hostname",
          },
        ],
      },
    };
    expect(pod(pipeline()).affinity).toEqual(required);
    expect(pod(backup()).affinity).toEqual(required);
    // The Deployment's spec.affinity is about scorer replicas; the jobs keep theirs.
    const userAffinity = { affinity: { podAntiAffinity: {} } };
    expect(pod(pipeline(userAffinity)).affinity).toEqual(required);
    const rwx = { storage: { data: { accessModes: ["ReadWriteMany"] } } };
    expect(pod(pipeline(rwx))).not.toHaveProperty("affinity");
    expect(pod(backup(rwx))).not.toHaveProperty("affinity");
  });

  test("the pipeline container gets spec.pipeline.resources, or none", () => {
    expect(only(pipeline())).not.toHaveProperty("resources");
    expect(only(pipeline({ pipeline: { resources: { limits: { memory: "4Gi" } } } })).resources).toEqual({
      limits: { memory: "4Gi" },
    });
  });
});

describe("buildBackupCronJob", () => {
  test("is not desired while backups are disabled", () => {
    expect(buildBackupCronJob(resource({ backup: { enabled: false } }), ctx)).toBeNull();
  });

  test("runs `maie backup run` on the backup schedule in the pipeline's time zone, never overlapping", () => {
    const cj = backup({
      pipeline: { timeZone: "Asia/Tokyo", suspend: true },
      backup: { schedule: "5 1 * * *" },
    });
    expect(cj.metadata?.name).toBe("alpha-backup");
    expect(cj.metadata?.labels).toEqual(expectedLabels("backup"));
    expect(cj.metadata?.ownerReferences).toEqual([OWNER]);
    expect(cj.spec).toMatchObject({
      schedule: "5 1 * * *",
      timeZone: "Asia/Tokyo",
      // Suspending the pipeline does not stop backups.
      suspend: false,
      concurrencyPolicy: "Forbid",
    });
    expect(only(cj).args).toEqual(["backup", "run"]);
    expect(pod(cj).restartPolicy).toBe("Never");
  });

  test("passes directories, retention and verification through the backup variables", () => {
    expect(env(only(backup()))).toEqual({
      MAIE_DATA_DIR: "/data",
      MAIE_BACKUPS_DIR: "/backups",
      MAIE_BACKUP_RETENTION_DAYS: "30",
      MAIE_REPORTS_RETENTION_DAYS: "90",
      MAIE_BACKUP_VERIFY: "true",
    });
    expect(
      env(only(backup({ backup: { retentionDays: 7, reportsRetentionDays: 21, verify: false } }))),
    ).toMatchObject({
      MAIE_BACKUP_RETENTION_DAYS: "7",
      MAIE_REPORTS_RETENTION_DAYS: "21",
      MAIE_BACKUP_VERIFY: "false",
    });
  });

  test("mounts the data and backups claims and passes the restricted profile", () => {
    const p = pod(backup());
    expect(p.volumes).toEqual([
      { name: "data", persistentVolumeClaim: { claimName: "alpha-data" } },
      { name: "backups", persistentVolumeClaim: { claimName: "alpha-backups" } },
      { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
    ]);
    expect(only(backup()).volumeMounts).toEqual([
      { name: "data", mountPath: "/data" },
      { name: "backups", mountPath: "/backups" },
      { name: "tmp", mountPath: "/tmp" },
    ]);
    expect(restrictedViolations(p)).toEqual([]);
  });

  test("with spec.objectStore, gets the store's settings, credentials and CA bundle to upload off-site", () => {
    const objectStore = {
      bucket: "maie-backups",
      endpoint: "https://s3.example.com",
      prefix: "teams/alpha",
      credentials: { secretRef: { name: "alpha-s3" } },
      caBundle: { configMapRef: { name: "s3-ca", key: "ca.crt" } },
    };
    const cr = resource({ objectStore });
    const access = objectStoreAccess(cr);
    const cj = as<V1CronJob>(buildBackupCronJob(cr, ctx));
    expect(env(only(cj))).toEqual({
      ...env(only(backup())),
      ...Object.fromEntries(access.env.map((e) => [e.name, e.value ?? e.valueFrom])),
    });
    expect(env(only(cj))).toMatchObject({
      MAIE_OBJECT_STORE_BUCKET: "maie-backups",
      MAIE_OBJECT_STORE_PREFIX: "teams/alpha",
      AWS_SECRET_ACCESS_KEY: {
        secretKeyRef: { name: "alpha-s3", key: "AWS_SECRET_ACCESS_KEY", optional: false },
      },
    });
    expect(only(cj).volumeMounts).toContainEqual(access.mounts[0]);
    expect(pod(cj).volumes).toContainEqual(access.volumes[0]);
    expect(access.mounts).toHaveLength(1);
    expect(restrictedViolations(pod(cj))).toEqual([]);
  });

  test("uses the MAIE image even when the pipeline image is overridden", () => {
    expect(only(backup({ pipeline: { image: "p:2" } })).image).toBe("ghcr.io/maie/maie:0.1.0");
  });

  test("limits and deadline come from spec.backup", () => {
    const cj = backup({
      backup: { activeDeadlineSeconds: 900, backoffLimit: 4, successfulJobsHistoryLimit: 2 },
    });
    expect(cj.spec).toMatchObject({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 3 });
    expect(cj.spec.jobTemplate.spec).toMatchObject({ activeDeadlineSeconds: 900, backoffLimit: 4 });
  });
});

describe("buildLoaderCronJob", () => {
  test("is a suspended template only: never due, one run at a time, history and finished Jobs cleaned up", () => {
    const cj = loader();
    expect(cj.metadata).toEqual({
      name: "alpha-loader",
      namespace: "research",
      labels: expectedLabels("loader"),
      ownerReferences: [OWNER],
    });
    expect(cj.spec).toMatchObject({ suspend: true, concurrencyPolicy: "Forbid" });
    expect(cj.spec.jobTemplate.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: LOADER_IDLE_SECONDS + 60,
      ttlSecondsAfterFinished: 300,
    });
  });

  test("its pod waits with the data claim mounted read-write, on the scorer's node, with bounded resources and the restricted profile", () => {
    const cj = loader();
    const c = only(cj);
    expect(c.command).toEqual(["sleep", String(LOADER_IDLE_SECONDS)]);
    expect(c.image).toBe("ghcr.io/maie/maie:0.1.0");
    expect(c.volumeMounts).toContainEqual({ name: "data", mountPath: "/data" });
    expect(pod(cj).volumes).toContainEqual({
      name: "data",
      persistentVolumeClaim: { claimName: "alpha-data" },
    });
    expect(c.resources?.limits).toEqual({ cpu: "500m", memory: "128Mi" });
    expect(pod(cj).affinity?.podAffinity).toBeDefined();
    expect(pod(cj).terminationGracePeriodSeconds).toBe(1);
    expect(restrictedViolations(pod(cj))).toEqual([]);
  });
});
