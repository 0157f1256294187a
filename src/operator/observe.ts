import type { KubeObject } from "../kube/object.js";

/**
 * Small readers of live child objects: what the status is built from. Each
 * returns plain facts, never a guess.
 */

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

export interface DeploymentFacts {
  readonly exists: boolean;
  readonly desiredReplicas: number;
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly available: boolean | undefined;
  readonly rolledOut: boolean;
  readonly progressDeadlineExceeded: boolean;
  readonly message: string;
}

export function deploymentFacts(deployment: KubeObject | undefined): DeploymentFacts {
  if (deployment === undefined) {
    return {
      exists: false,
      desiredReplicas: 0,
      replicas: 0,
      readyReplicas: 0,
      available: undefined,
      rolledOut: false,
      progressDeadlineExceeded: false,
      message: "the Deployment does not exist yet",
    };
  }
  const spec = deployment["spec"] as { replicas?: number } | undefined;
  const status = (deployment["status"] ?? {}) as DeploymentStatus;
  const desiredReplicas = spec?.replicas ?? 1;
  const conditions = status.conditions ?? [];
  const availableCond = conditions.find((c) => c.type === "Available");
  const progressing = conditions.find((c) => c.type === "Progressing");
  const observedCurrent = (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  const updated = status.updatedReplicas ?? 0;
  const rolledOut =
    observedCurrent &&
    updated >= desiredReplicas &&
    (status.replicas ?? 0) === updated &&
    (status.availableReplicas ?? 0) >= desiredReplicas;
  return {
    exists: true,
    desiredReplicas,
    replicas: status.replicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    available: availableCond === undefined ? undefined : availableCond.status === "True",
    rolledOut,
    progressDeadlineExceeded: progressing?.reason === "ProgressDeadlineExceeded",
    message:
      availableCond?.message ?? progressing?.message ?? "no status reported by the Deployment controller yet",
  };
}

export interface JobRunFacts {
  /** Completion time of the last successful run (from the CronJob, or from its Jobs). */
  readonly lastSuccess: string | undefined;
  /** The most recent finished Job's outcome. */
  readonly lastOutcome: "succeeded" | "failed" | undefined;
  readonly lastFailureMessage: string | undefined;
}

interface JobStatus {
  completionTime?: string;
  conditions?: {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
  }[];
}

/** Facts about a CronJob's runs, from the CronJob and the Jobs it owns. */
export function cronJobFacts(cronJob: KubeObject | undefined, jobs: readonly KubeObject[]): JobRunFacts {
  const cronStatus = (cronJob?.["status"] ?? {}) as { lastSuccessfulTime?: string };
  const owned =
    cronJob === undefined
      ? []
      : jobs.filter((j) =>
          j.metadata.ownerReferences?.some((o) => o.kind === "CronJob" && o.uid === cronJob.metadata.uid),
        );
  const finished = owned
    .map((j) => {
      const st = (j["status"] ?? {}) as JobStatus;
      const done = st.conditions?.find(
        (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
      );
      return done === undefined
        ? undefined
        : {
            job: j,
            done,
            at: done.lastTransitionTime ?? st.completionTime ?? j.metadata.creationTimestamp ?? "",
          };
    })
    .filter((x): x is NonNullable<typeof x> => x !== undefined)
    .sort((a, b) => (a.at < b.at ? -1 : 1));
  const last = finished.at(-1);
  const lastJobSuccess = finished.filter((f) => f.done.type === "Complete").at(-1)?.at;
  const candidates = [cronStatus.lastSuccessfulTime, lastJobSuccess].filter(
    (x): x is string => x !== undefined && x !== "",
  );
  return {
    lastSuccess: candidates.sort().at(-1),
    lastOutcome: last === undefined ? undefined : last.done.type === "Complete" ? "succeeded" : "failed",
    lastFailureMessage:
      last?.done.type === "Failed"
        ? `Job ${last.job.metadata.name} failed: ${last.done.reason ?? ""} ${last.done.message ?? ""}`.trim()
        : undefined,
  };
}

/** A claim the reconcile wants that is not bound yet, and the class it waits on. */
export interface PendingClaim {
  readonly name: string;
  /**
   * `spec.storageClassName` as the apiserver stored it. Absent means no
   * default StorageClass existed when the claim was created (the
   * DefaultStorageClass admission plugin fills it in otherwise); `""` means
   * static binding only.
   */
  readonly storageClassName: string | undefined;
}

interface ClaimSpec {
  storageClassName?: string | null;
}

/**
 * The desired claims that are `Pending`, in the order given. A claim not in
 * the cache yet (just created) is not reported: no fact, no guess.
 */
export function pendingClaims(claims: readonly (KubeObject | undefined)[]): PendingClaim[] {
  return claims
    .filter((c): c is KubeObject => c !== undefined)
    .filter((c) => (c["status"] as { phase?: string } | undefined)?.phase === "Pending")
    .map((c) => ({
      name: c.metadata.name,
      storageClassName: (c["spec"] as ClaimSpec | undefined)?.storageClassName ?? undefined,
    }));
}
