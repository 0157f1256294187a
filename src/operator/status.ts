import type { MaieDeployment } from "../api/resource.js";
import type { ChildStatus, MaieDeploymentStatus } from "../api/status.js";
import { scaleSelector } from "../desired/deployment.js";
import { serviceEndpoint } from "../desired/service.js";
import { mergeConditions, type ConditionInput } from "./conditions.js";
import type { DeploymentFacts, JobRunFacts, PendingClaim } from "./observe.js";
import { progressingCondition } from "./progressing.js";
import type { ModelFacts } from "./served-model.js";

/**
 * The status as a pure function of what the reconcile observed: every
 * condition is a fact the operator saw, `Unknown` where it has not seen it.
 */

export interface ChildOutcome {
  readonly kind: string;
  readonly name: string;
  readonly applied: boolean;
  readonly error?: string;
  /** Not applied because the live object is not ours (see adoption.ts). */
  readonly conflict?: string;
}

export type MonitoringOutcome =
  | { readonly state: "Applied"; readonly message: string }
  | { readonly state: "Disabled"; readonly message: string }
  | { readonly state: "CRDNotInstalled"; readonly message: string }
  | { readonly state: "ApplyFailed"; readonly message: string };

export interface Observations {
  readonly children: readonly ChildOutcome[];
  readonly monitoring: MonitoringOutcome;
  readonly deployment: DeploymentFacts;
  readonly pipeline: JobRunFacts;
  readonly backup: JobRunFacts | "disabled";
  /** Desired PersistentVolumeClaims that are not bound yet. */
  readonly pendingClaims: readonly PendingClaim[];
  /** Children created, changed or deleted by this reconcile. */
  readonly changed: number;
  /** What the scorer pods report serving. */
  readonly model: ModelFacts;
}

/** Degraded's reason when the newest model did not load and the last good one serves. */
export const MODEL_UPDATE_FAILED = "ModelUpdateFailed";

export function computeStatus(cr: MaieDeployment, obs: Observations, now: string): MaieDeploymentStatus {
  const generation = cr.metadata.generation;
  const conflicts = obs.children.filter((c) => c.conflict !== undefined);
  const failed = obs.children.filter((c) => !c.applied && c.conflict === undefined);
  const d = obs.deployment;

  const available: ConditionInput =
    d.available === undefined
      ? {
          type: "Available",
          status: "Unknown",
          reason: d.exists ? "NoDeploymentStatus" : "DeploymentMissing",
          message: d.message,
        }
      : d.available
        ? {
            type: "Available",
            status: "True",
            reason: "MinimumReplicasAvailable",
            message: `${d.readyReplicas}/${d.desiredReplicas} scorer pods ready`,
          }
        : { type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: d.message };

  const degradedReasons: { reason: string; message: string }[] = [];
  if (conflicts.length > 0)
    degradedReasons.push({ reason: "ChildConflict", message: conflicts.map((c) => c.conflict).join("; ") });
  if (failed.length > 0)
    degradedReasons.push({
      reason: "ApplyFailed",
      message: failed.map((f) => `${f.kind}/${f.name}: ${f.error ?? "failed"}`).join("; "),
    });
  if (d.progressDeadlineExceeded)
    degradedReasons.push({ reason: "ProgressDeadlineExceeded", message: d.message });
  if (obs.monitoring.state === "CRDNotInstalled" && requiredMonitoring(cr))
    degradedReasons.push({ reason: "CRDNotInstalled", message: obs.monitoring.message });
  if (obs.model.updateFailed !== undefined) {
    const served = obs.model.model.registry?.ref ?? obs.model.model.digest ?? "the last good model";
    degradedReasons.push({
      reason: MODEL_UPDATE_FAILED,
      message: `the scorer pods keep serving ${served}; the newest model did not load: ${obs.model.updateFailed}`,
    });
  }
  const degraded: ConditionInput =
    degradedReasons.length > 0
      ? {
          type: "Degraded",
          status: "True",
          reason: degradedReasons[0]!.reason,
          message: degradedReasons.map((r) => r.message).join("; "),
        }
      : { type: "Degraded", status: "False", reason: "AsExpected", message: "all children applied" };

  const progressing = progressingCondition(obs.changed, d, obs.pendingClaims);

  const pipeline = jobCondition("PipelineHealthy", obs.pipeline, "pipeline");
  const backup: ConditionInput =
    obs.backup === "disabled"
      ? {
          type: "BackupHealthy",
          status: "True",
          reason: "Disabled",
          message: "backups are disabled (spec.backup.enabled=false)",
        }
      : jobCondition("BackupHealthy", obs.backup, "backup");

  const monitoringStatus =
    obs.monitoring.state === "Applied" || obs.monitoring.state === "Disabled" ? "True" : "False";
  const monitoring: ConditionInput = {
    type: "MonitoringConfigured",
    status: monitoringStatus,
    reason: obs.monitoring.state,
    message: obs.monitoring.message,
  };

  // Only when pods answered and none has a model: then it is the reason they are not ready, said in their words.
  const modelUnavailable =
    cr.spec.scorer.readinessRequiresModel &&
    obs.model.unavailable !== undefined &&
    degraded.status === "False";
  // A model update that failed leaves the last good model serving: the API is still ready, only degraded.
  const degradedForReady = degradedReasons.some((r) => r.reason !== MODEL_UPDATE_FAILED);
  const readyFacts = available.status === "True" && !degradedForReady && !modelUnavailable;
  const ready: ConditionInput = modelUnavailable
    ? {
        type: "Ready",
        status: "False",
        reason: "ModelUnavailable",
        message: `no scorer pod has a model: ${obs.model.unavailable ?? ""}`,
      }
    : readyFacts
      ? {
          type: "Ready",
          status: "True",
          reason: "Ready",
          message: "the scoring API is available and every child is applied",
        }
      : available.status === "Unknown" && !degradedForReady
        ? { type: "Ready", status: "Unknown", reason: "Pending", message: available.message }
        : {
            type: "Ready",
            status: "False",
            reason: degradedForReady ? degraded.reason : available.reason,
            message: degradedForReady ? degraded.message : available.message,
          };

  const conditions = mergeConditions(
    cr.status?.conditions,
    [ready, available, progressing, degraded, pipeline, backup, monitoring],
    generation,
    now,
  );
  const children: ChildStatus[] = obs.children.map((c) => ({
    kind: c.kind,
    name: c.name,
    applied: c.applied,
  }));
  return {
    observedGeneration: generation,
    conditions,
    replicas: d.replicas,
    readyReplicas: d.readyReplicas,
    replicaSummary: `${d.readyReplicas}/${d.desiredReplicas}`,
    selector: scaleSelector(cr),
    endpoint: serviceEndpoint(cr),
    model: obs.model.model,
    ...(obs.pipeline.lastSuccess !== undefined && { lastPipelineSuccess: obs.pipeline.lastSuccess }),
    ...(obs.backup !== "disabled" &&
      obs.backup.lastSuccess !== undefined && { lastBackupSuccess: obs.backup.lastSuccess }),
    children,
  };
}

function requiredMonitoring(cr: MaieDeployment): boolean {
  return (
    cr.spec.monitoring.serviceMonitor.enabled === "Enabled" || cr.spec.monitoring.alerts.enabled === "Enabled"
  );
}

function jobCondition(
  type: "PipelineHealthy" | "BackupHealthy",
  facts: JobRunFacts,
  what: string,
): ConditionInput {
  if (facts.lastOutcome === "failed")
    return {
      type,
      status: "False",
      reason: "JobFailed",
      message: facts.lastFailureMessage ?? `the last ${what} run failed`,
    };
  if (facts.lastOutcome === "succeeded" || facts.lastSuccess !== undefined)
    return {
      type,
      status: "True",
      reason: "LastRunSucceeded",
      message: `last successful ${what} run finished at ${facts.lastSuccess ?? "unknown time"}`,
    };
  return { type, status: "Unknown", reason: "NoRunYet", message: `no ${what} run has finished yet` };
}

/** The status a resource gets when its spec cannot be parsed: reported, never a crash loop. */
export function invalidSpecStatus(
  previous: MaieDeploymentStatus | undefined,
  generation: number,
  message: string,
  now: string,
): MaieDeploymentStatus {
  const conditions = mergeConditions(
    previous?.conditions,
    [
      { type: "Ready", status: "False", reason: "InvalidSpec", message },
      { type: "Available", status: "Unknown", reason: "InvalidSpec", message },
      { type: "Progressing", status: "False", reason: "InvalidSpec", message },
      { type: "Degraded", status: "True", reason: "InvalidSpec", message },
      { type: "PipelineHealthy", status: "Unknown", reason: "InvalidSpec", message },
      { type: "BackupHealthy", status: "Unknown", reason: "InvalidSpec", message },
      { type: "MonitoringConfigured", status: "Unknown", reason: "InvalidSpec", message },
    ],
    generation,
    now,
  );
  return { ...previous, observedGeneration: generation, conditions };
}
