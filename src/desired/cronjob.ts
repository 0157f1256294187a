import type { V1Container, V1CronJob, V1EnvFromSource, V1EnvVar, V1PodSpec } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { BACKUPS_MOUNT, DATA_MOUNT } from "../contract/data-layout.js";
import { BACKUP_ENV, PIPELINE_ENV } from "../contract/env.js";
import { modelEnv, objectStoreAccess } from "./object-store.js";
import { panelStoreEnv, pipelineUsesDataVolume, pricesEnv, SCRATCH_DATA_DIR } from "./data-mode.js";
import { childMeta, commonLabels, type Component, type DesiredContext, names } from "./meta.js";
import { passThroughList, toKubeObject } from "./plain.js";
import {
  backupsMount,
  backupsVolume,
  commonPodSpec,
  containerSecurityContext,
  dataMount,
  dataVolume,
  dataVolumeAffinity,
  dataVolumeLabels,
  envVar,
  mergeEnv,
  resourceRequirements,
  scorerImage,
  tmpMount,
  tmpVolume,
} from "./pod.js";

/**
 * The CronJobs over the data volume: the daily pipeline
 * (`maie pipeline run`), the backup (`maie backup run`) and the loader, a
 * suspended template for putting files on the volume by hand. All forbid
 * overlapping runs, keep a bounded history, stop a run at its deadline and
 * run with the same restricted security context as the scorer. While the
 * data volume is single-node (ReadWriteOnce) their pods carry the
 * data-volume label and require the node of the other pods that carry it
 * (the scorer's, where the volume is attached), like the scorer pods do.
 * A pipeline that needs no data volume (src/desired/data-mode.ts) mounts
 * none and carries neither.
 */

export const PIPELINE_CONTAINER = "pipeline";
export const BACKUP_CONTAINER = "backup";
/** The image's entrypoint is `maie`; these are its sub-commands. */
export const PIPELINE_ARGS = ["pipeline", "run"] as const;
export const BACKUP_ARGS = ["backup", "run"] as const;
export const LOADER_CONTAINER = "loader";
/** How long a loader pod waits for files before its Job completes (and is cleaned up after LOADER_TTL_SECONDS). */
export const LOADER_IDLE_SECONDS = 3600;
export const LOADER_TTL_SECONDS = 300;
/** Enough for `kubectl cp` (tar) and `mv`; the loader runs nothing else. */
const LOADER_RESOURCES = {
  requests: { cpu: "10m", memory: "32Mi" },
  limits: { cpu: "500m", memory: "128Mi" },
} as const;

interface JobSettings {
  readonly schedule: string;
  readonly timeZone: string;
  readonly suspend: boolean;
  readonly activeDeadlineSeconds: number;
  readonly backoffLimit: number;
  readonly successfulJobsHistoryLimit: number;
  readonly failedJobsHistoryLimit: number;
  readonly ttlSecondsAfterFinished?: number;
}

function cronJob(
  cr: MaieDeployment,
  name: string,
  component: Component,
  settings: JobSettings,
  podSpec: V1PodSpec,
  sharesDataVolume: boolean,
): KubeObject {
  const labels = commonLabels(cr, component);
  const cj: V1CronJob = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: childMeta(cr, name, component),
    spec: {
      schedule: settings.schedule,
      timeZone: settings.timeZone,
      suspend: settings.suspend,
      concurrencyPolicy: "Forbid",
      successfulJobsHistoryLimit: settings.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: settings.failedJobsHistoryLimit,
      jobTemplate: {
        metadata: { labels },
        spec: {
          activeDeadlineSeconds: settings.activeDeadlineSeconds,
          backoffLimit: settings.backoffLimit,
          ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
          template: {
            // Only the pods mount the volume, so only they need the data-volume label.
            metadata: { labels: { ...labels, ...(sharesDataVolume ? dataVolumeLabels(cr) : {}) } },
            spec: {
              ...podSpec,
              affinity: sharesDataVolume ? dataVolumeAffinity(cr) : undefined,
              restartPolicy: "Never",
            },
          },
        },
      },
    },
  };
  return toKubeObject(cj);
}

/**
 * `<cr>-pipeline`. Image, command, args, env and envFrom can be overridden
 * from `spec.pipeline`; a command override without args gets no default
 * args (they belong to the default `maie` entrypoint). User env entries
 * replace ours of the same name.
 */
export function buildPipelineCronJob(cr: MaieDeployment, ctx: DesiredContext): KubeObject {
  const { pipeline } = cr.spec;
  const store = objectStoreAccess(cr);
  const data = pipelineUsesDataVolume(cr);
  const container: V1Container = {
    name: PIPELINE_CONTAINER,
    image: pipeline.image ?? scorerImage(cr, ctx),
    imagePullPolicy: cr.spec.image.pullPolicy,
    command: pipeline.command !== undefined ? [...pipeline.command] : undefined,
    args:
      pipeline.args !== undefined
        ? [...pipeline.args]
        : pipeline.command === undefined
          ? [...PIPELINE_ARGS]
          : undefined,
    env: mergeEnv(
      [
        envVar(PIPELINE_ENV.dataDir, data ? DATA_MOUNT : SCRATCH_DATA_DIR),
        ...modelEnv(cr, { poll: false }),
        ...pricesEnv(cr),
        ...panelStoreEnv(cr),
        ...store.env,
      ],
      passThroughList<V1EnvVar>(pipeline.env) ?? [],
    ),
    envFrom: passThroughList<V1EnvFromSource>(pipeline.envFrom),
    resources: resourceRequirements(pipeline.resources, "spec.pipeline.resources"),
    securityContext: containerSecurityContext(),
    volumeMounts: [...(data ? [dataMount] : []), tmpMount(), ...store.mounts],
  };
  return cronJob(
    cr,
    names.pipelineCronJob(cr),
    "pipeline",
    pipeline,
    commonPodSpec(cr, [container], [...(data ? [dataVolume(cr)] : []), tmpVolume(), ...store.volumes]),
    data,
  );
}

/**
 * `<cr>-backup`, only while `backup.enabled`: archives the data volume to
 * the backups volume, prunes by retention and verifies the new archive;
 * with `spec.objectStore`, also uploads it off-site (same retention there).
 * Runs in the pipeline's time zone; has no suspend switch of its own.
 */
export function buildBackupCronJob(cr: MaieDeployment, ctx: DesiredContext): KubeObject | null {
  const { backup, pipeline } = cr.spec;
  if (!backup.enabled) return null;
  const store = objectStoreAccess(cr);
  const container: V1Container = {
    name: BACKUP_CONTAINER,
    image: scorerImage(cr, ctx),
    imagePullPolicy: cr.spec.image.pullPolicy,
    args: [...BACKUP_ARGS],
    env: [
      envVar(BACKUP_ENV.dataDir, DATA_MOUNT),
      envVar(BACKUP_ENV.backupsDir, BACKUPS_MOUNT),
      envVar(BACKUP_ENV.retentionDays, backup.retentionDays),
      envVar(BACKUP_ENV.reportsRetentionDays, backup.reportsRetentionDays),
      envVar(BACKUP_ENV.verify, backup.verify),
      ...store.env,
    ],
    resources: resourceRequirements(backup.resources, "spec.backup.resources"),
    securityContext: containerSecurityContext(),
    volumeMounts: [dataMount, backupsMount, tmpMount(), ...store.mounts],
  };
  return cronJob(
    cr,
    names.backupCronJob(cr),
    "backup",
    { ...backup, timeZone: pipeline.timeZone, suspend: false },
    commonPodSpec(cr, [container], [dataVolume(cr), backupsVolume(cr), tmpVolume(), ...store.volumes]),
    true,
  );
}

/**
 * `<cr>-loader`: never scheduled (suspended), only a template for
 * `kubectl create job --from=cronjob/<cr>-loader`. Its pod mounts the data
 * volume read-write, joins the scorer's node while the volume is
 * single-node, and waits (`sleep`) so that files can be copied in with
 * `kubectl cp` and renamed into place (docs/operations.md#first-data). The
 * scorer mounts the volume read-only, so this is how data gets onto it by
 * hand, in a pod with the same image and restricted security context.
 */
export function buildLoaderCronJob(cr: MaieDeployment, ctx: DesiredContext): KubeObject {
  const container: V1Container = {
    name: LOADER_CONTAINER,
    image: scorerImage(cr, ctx),
    imagePullPolicy: cr.spec.image.pullPolicy,
    command: ["sleep", String(LOADER_IDLE_SECONDS)],
    resources: LOADER_RESOURCES,
    securityContext: containerSecurityContext(),
    volumeMounts: [dataMount, tmpMount()],
  };
  return cronJob(
    cr,
    names.loaderCronJob(cr),
    "loader",
    {
      // Never due: suspended, and the operator's apply turns a hand-made `suspend: false` back.
      schedule: "0 0 1 1 *",
      timeZone: "Etc/UTC",
      suspend: true,
      activeDeadlineSeconds: LOADER_IDLE_SECONDS + 60,
      backoffLimit: 0,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 1,
      ttlSecondsAfterFinished: LOADER_TTL_SECONDS,
    },
    // `sleep` as PID 1 ignores SIGTERM, and a loader has nothing to save: deleting its Job ends it at once.
    { ...commonPodSpec(cr, [container], [dataVolume(cr), tmpVolume()]), terminationGracePeriodSeconds: 1 },
    true,
  );
}
