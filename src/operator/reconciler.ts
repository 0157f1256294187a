import type { Logger } from "pino";
import { FIELD_MANAGER } from "../api/group.js";
import { parseMaieDeployment, type RawMaieDeployment } from "../api/parse.js";
import type { MaieDeployment } from "../api/resource.js";
import type { MaieDeploymentStatus } from "../api/status.js";
import { Action } from "../controller/action.js";
import type { ObjectCache, WriteThroughCache } from "../controller/informer.js";
import type { Clock } from "../controller/clock.js";
import { desiredChildren, MANAGED_KINDS } from "../desired/children.js";
import { monitoringCondition, monitoringDecision } from "../desired/monitoring/decision.js";
import { InvalidSpecError } from "../desired/errors.js";
import { names, type Capabilities, type DesiredContext } from "../desired/meta.js";
import { canonicalJson, sha256Of } from "../desired/plain.js";
import type { KubeObject } from "../kube/object.js";
import { APPLY_PATCH, type KubeClient } from "../kube/rest.js";
import { RESOURCE_TYPES, resourcePath, resourceType, type KindName } from "../kube/resources.js";
import { childConflict } from "./adoption.js";
import { specProblems } from "./spec-checks.js";
import {
  applyChild,
  createChild,
  deleteChild,
  readLive,
  type ApplyOutcome,
  type ApplyResult,
} from "./apply.js";
import { resourceIndexKey } from "./child-index.js";
import { DESIRED_HASH_ANNOTATION } from "./lean-cache.js";
import { handOverReplicas } from "./replicas-handover.js";
import type { EventRecorder } from "./events.js";
import type { OperatorMetrics } from "./metrics.js";
import { cronJobFacts, deploymentFacts, pendingClaims } from "./observe.js";
import type { ModelProbe } from "./model-probe.js";
import { modelChangedNote, servedModel, type PodModelReport } from "./served-model.js";
import { durationSeconds } from "../monitoring/promql.js";
import { desiredFingerprint, type VerifiedChild, type VerifiedChildren } from "./verified-children.js";
import { computeStatus, invalidSpecStatus, type ChildOutcome, type MonitoringOutcome } from "./status.js";

/** Kinds the operator creates and may prune: the builders' own list, split by whether a CRD must be served. */
export const CHILD_KINDS: readonly KindName[] = MANAGED_KINDS.filter((k) => !k.crdBacked).map((k) => k.kind);
export const MONITORING_KINDS: readonly KindName[] = MANAGED_KINDS.filter((k) => k.crdBacked).map(
  (k) => k.kind,
);
/** PVCs hold the data: they are never pruned, only retained or garbage-collected with the resource. */
const NEVER_PRUNED = new Set(["PersistentVolumeClaim"]);

export { DESIRED_HASH_ANNOTATION };

export interface ReconcilerDeps {
  readonly client: KubeClient;
  readonly resources: WriteThroughCache<KubeObject>;
  /** Cache per child kind (plus Job, observed for run history). */
  readonly children: ReadonlyMap<string, ObjectCache<KubeObject>>;
  readonly capabilities: () => Capabilities;
  readonly defaultImage: DesiredContext["defaultImage"];
  readonly events: EventRecorder;
  readonly metrics: OperatorMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly resyncMs: number;
  /** Asks the scorer pods which model they serve (status.model). */
  readonly modelProbe: ModelProbe;
  /** The children's versions last seen to hold what each resource wants (skips rebuilding an unchanged one). */
  readonly verified: VerifiedChildren;
}

export class ReconcileError extends Error {
  override readonly name = "ReconcileError";
}

/**
 * One level-based reconcile of a MaieDeployment, in numbered steps
 * (kubebuilder's CronJob tutorial style). Everything is read from caches;
 * the only requests are writes that change something.
 */
export async function reconcile(key: string, deps: ReconcilerDeps): Promise<Action> {
  const [namespace, name] = splitKey(key);
  const log = deps.logger.child({ resource: key });

  // 1. Load the resource; a deleted one needs nothing (owned children are garbage-collected, retained PVCs stay).
  // tsc needs the intersection (KubeObject's status is unknown); the rule judges the two types identical.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  const raw = deps.resources.get(namespace, name) as (KubeObject & RawMaieDeployment) | undefined;
  if (raw === undefined || raw.metadata.deletionTimestamp !== undefined) {
    deps.verified.forget(key);
    return Action.awaitChange();
  }

  // 2. Parse the spec with every default, then check what the schema cannot (an unknown time zone); an invalid
  //    spec is reported in status, not retried in a loop, and nothing is applied.
  const parsed = parseMaieDeployment(raw);
  const now = new Date(deps.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  const reportInvalid = async (message: string): Promise<Action> => {
    deps.verified.forget(key);
    const status = invalidSpecStatus(raw.status, raw.metadata.generation ?? 0, message, now);
    // Once per change of the status, like the Event: a spec that stays invalid is not news at every resync.
    if (await writeStatus(deps, raw, status)) {
      deps.events.record(asResource(raw), "Warning", "InvalidSpec", "Validate", message);
      log.warn({ reason: message }, "invalid spec");
    }
    return Action.awaitChange();
  };
  if (!parsed.ok) return reportInvalid(parsed.message);
  const cr = parsed.value;
  // Legacy tri-state spellings (stored before the rename) still work; saying so is news once per generation.
  if (parsed.notes.length > 0 && raw.status?.observedGeneration !== raw.metadata.generation)
    deps.events.record(cr, "Warning", "DeprecatedValue", "Validate", parsed.notes.join("; "));
  const problems = specProblems(cr);
  if (problems.length > 0) return reportInvalid(problems.join("; "));

  // 3. Compute the desired children: a pure function of the resource and the cluster's capabilities.
  //    A spec no valid child can be built from (e.g. the app container on the scorer's port) is InvalidSpec too.
  //    When nothing it is built from changed and every child is still at the version last seen to hold what
  //    we want (a follow-up to our own writes, an idle resync), building and comparing are skipped.
  const capabilities = deps.capabilities();
  const ctx: DesiredContext = { capabilities, defaultImage: deps.defaultImage };
  const fingerprint = desiredFingerprint(cr, ctx);
  const ownChildren = resourceIndexKey(cr.metadata.namespace, cr.metadata.name);
  const verified = deps.verified.unchanged(
    key,
    fingerprint,
    (kind, name) => deps.children.get(kind)?.get(cr.metadata.namespace, name)?.metadata.resourceVersion,
  );
  let applied: AppliedChild[];
  if (verified !== undefined) {
    applied = verified.map((c) => ({
      outcome: { kind: c.kind, name: c.name, applied: true },
      result: "unchanged",
      resourceVersion: c.resourceVersion,
    }));
  } else {
    let desired: KubeObject[];
    try {
      desired = desiredChildren(cr, ctx).map(withDesiredHash);
    } catch (err) {
      if (err instanceof InvalidSpecError) return reportInvalid(err.message);
      throw err;
    }
    // 4. Apply the children concurrently (server-side apply needs no order: a Deployment
    //    whose ServiceAccount lands a moment later just waits), writing only what would change.
    applied = await Promise.all(desired.map((child) => applyOne(deps, cr, child, log)));
    rememberVerified(deps, key, fingerprint, applied);
  }
  const outcomes: ChildOutcome[] = applied.map((a) => a.outcome);
  let changed = applied.filter((a) => a.result !== "unchanged" && a.result !== undefined).length;
  // One Event per kind of change lists the children: a new resource is one "created" Event, not twelve.
  for (const [result, reason] of [
    ["created", "ChildCreated"],
    ["updated", "ChildUpdated"],
  ] as const) {
    const which = applied
      .filter((a) => a.result === result)
      .map((a) => `${a.outcome.kind}/${a.outcome.name}`);
    if (which.length > 0) deps.events.record(cr, "Normal", reason, "Apply", `${result} ${which.join(", ")}`);
  }

  // 5. Prune children this resource owns that are no longer desired (e.g. ingress turned off).
  const wanted = new Set(applied.map((a) => `${a.outcome.kind}/${a.outcome.name}`));
  const prunable = [...CHILD_KINDS, ...(capabilities.prometheusOperator ? MONITORING_KINDS : [])].filter(
    (k) => !NEVER_PRUNED.has(k),
  );
  for (const kind of prunable) {
    for (const live of deps.children.get(kind)?.indexed(ownChildren) ?? []) {
      if (wanted.has(`${kind}/${live.metadata.name}`) || !ownedBy(live, cr)) continue;
      try {
        if (await deleteChild(deps.client, live)) {
          changed += 1;
          deps.metrics.applyTotal.inc({ kind, result: "deleted" });
          deps.events.record(
            cr,
            "Normal",
            "ChildDeleted",
            "Delete",
            `deleted ${kind}/${live.metadata.name}: no longer desired`,
          );
          log.info({ kind, child: live.metadata.name }, "deleted child");
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        deps.metrics.applyTotal.inc({ kind, result: "error" });
        outcomes.push({ kind, name: live.metadata.name, applied: false, error: `delete failed: ${message}` });
      }
    }
  }

  // 6. Observe the world and rebuild the status from it; write it only when it changed.
  const deployment = deploymentFacts(
    deps.children.get("Deployment")?.get(cr.metadata.namespace, names.deployment(cr)),
  );
  // No scorer pod exists yet: nothing to ask, and no LIST of pods to pay for.
  const model = servedModel(cr, deployment.replicas > 0 ? await probeModel(deps, cr, log) : []);
  const jobs = deps.children.get("Job")?.indexed(ownChildren) ?? [];
  const cronJobs = deps.children.get("CronJob");
  const status = computeStatus(
    cr,
    {
      children: outcomes,
      monitoring: monitoringOutcome(cr, ctx, outcomes),
      deployment,
      pipeline: cronJobFacts(cronJobs?.get(cr.metadata.namespace, names.pipelineCronJob(cr)), jobs),
      backup: cr.spec.backup.enabled
        ? cronJobFacts(cronJobs?.get(cr.metadata.namespace, names.backupCronJob(cr)), jobs)
        : "disabled",
      pendingClaims: pendingClaims(
        outcomes
          .filter((c) => c.kind === "PersistentVolumeClaim")
          .map((c) => deps.children.get(c.kind)?.get(cr.metadata.namespace, c.name)),
      ),
      changed,
      model,
    },
    now,
  );
  const wroteStatus = await writeStatus(deps, raw, status);
  const servedBefore = raw.status?.model?.sha256;
  if (model.model.sha256 !== undefined && model.model.sha256 !== servedBefore)
    deps.events.record(
      cr,
      "Normal",
      "ModelChanged",
      "Serve",
      modelChangedNote(model.model, raw.status?.model),
    );
  if (
    model.unavailable !== undefined &&
    raw.status?.conditions?.find((c) => c.type === "Ready")?.reason !== "ModelUnavailable"
  )
    deps.events.record(
      cr,
      "Warning",
      "ModelUnavailable",
      "Serve",
      `no scorer pod has a model: ${model.unavailable}`,
    );
  log.debug({ changed, wroteStatus, failed: outcomes.filter((o) => !o.applied).length }, "reconciled");
  // A conflict is news once (like InvalidSpec), not at every resync: only one the stored status did not report yet.
  const reported = raw.status?.conditions?.find((c) => c.type === "Degraded")?.message ?? "";
  for (const o of outcomes)
    if (o.conflict !== undefined && !reported.includes(o.conflict))
      deps.events.record(cr, "Warning", "ChildConflict", "Apply", o.conflict);

  // 7. Failed applies fail the reconcile (the controller retries it with backoff); otherwise look again
  //    after the resync period. A conflict is not retried sooner: only a person can resolve it.
  const failed = outcomes.filter((o) => !o.applied && o.conflict === undefined);
  if (failed.length > 0)
    throw new ReconcileError(
      `${failed.length} child object(s) failed: ${failed.map((f) => `${f.kind}/${f.name}`).join(", ")}`,
    );
  // What the pods serve can change without any Kubernetes event: a model fetched from a URI changes at its
  // source, and a new pod refusing its model during a rollout changes no object we watch. Look again after
  // the poll interval, and soon while scorer pods roll out or report a problem, until status.model settles.
  const settling = deployment.replicas > 0 && (!deployment.rolledOut || model.model.message !== undefined);
  const pollMs = settling
    ? MIN_MODEL_RECHECK_MS
    : cr.spec.model.uri !== undefined && cr.spec.model.sha256 === undefined
      ? durationSeconds(cr.spec.model.pollInterval) * 1000
      : deps.resyncMs;
  return Action.requeue(Math.min(deps.resyncMs, Math.max(pollMs, MIN_MODEL_RECHECK_MS)));
}

/** The operator asks the pods no more often than this (a poll interval of seconds would have it asking every pod that often). */
export const MIN_MODEL_RECHECK_MS = 15_000;

/** The probe's own failure (pods not listable) is a fact for status.model, never a failed reconcile. */
async function probeModel(deps: ReconcilerDeps, cr: MaieDeployment, log: Logger): Promise<PodModelReport[]> {
  try {
    return await deps.modelProbe(cr);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.warn({ err: message }, "could not list the scorer pods");
    return [{ pod: "(list)", unreachable: `could not list the scorer pods: ${message}` }];
  }
}

interface AppliedChild {
  readonly outcome: ChildOutcome;
  /** What the apply did; undefined when it was not applied (a conflict or an error). */
  readonly result: ApplyResult | undefined;
  /** The version seen to hold what we want (ApplyOutcome), when one is known. */
  readonly resourceVersion?: string | undefined;
}

/** Records the children's versions when every one is known to hold what we want; otherwise the next reconcile compares again. */
function rememberVerified(
  deps: ReconcilerDeps,
  key: string,
  fingerprint: string,
  applied: readonly AppliedChild[],
): void {
  const children: VerifiedChild[] = [];
  for (const { outcome, result, resourceVersion } of applied) {
    if (result === undefined || resourceVersion === undefined) return deps.verified.forget(key);
    children.push({ kind: outcome.kind, name: outcome.name, resourceVersion });
  }
  deps.verified.record(key, fingerprint, children);
}

async function applyOne(
  deps: ReconcilerDeps,
  cr: MaieDeployment,
  child: KubeObject,
  log: Logger,
): Promise<AppliedChild> {
  const what = `${child.kind}/${child.metadata.name}`;
  const outcome = (extra: Partial<ChildOutcome> = {}): ChildOutcome => ({
    kind: child.kind,
    name: child.metadata.name,
    applied: true,
    ...extra,
  });
  try {
    let live = deps.children.get(child.kind)?.get(child.metadata.namespace, child.metadata.name);
    if (live === undefined) {
      // The informers see only labelled children, so a cache miss may hide someone else's object of
      // this name: the create-only apply refuses to touch it, and only then is it read and judged.
      const created = await createChild(deps.client, child);
      if (created !== "exists") return done(deps, child, log, created);
      live = await readLive(
        deps.client,
        resourcePath(resourceType(child.kind), child.metadata.namespace, child.metadata.name),
      );
      if (live === undefined) throw new ReconcileError(`${what} was deleted while being created`);
    }
    const conflict = childConflict(cr, child, live);
    if (conflict !== undefined) {
      deps.metrics.applyTotal.inc({ kind: child.kind, result: "conflict" });
      log.warn({ kind: child.kind, child: child.metadata.name, reason: conflict }, "child conflict");
      return { outcome: outcome({ applied: false, conflict }), result: undefined };
    }
    const handedOver = await handOverReplicas(deps.client, child, live);
    const result = await applyChild(deps.client, child, live);
    // A hand-over wrote a version this reconcile has not seen: leave it to the next one to judge.
    return done(deps, child, log, handedOver ? { ...result, resourceVersion: undefined } : result);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.metrics.applyTotal.inc({ kind: child.kind, result: "error" });
    deps.events.record(cr, "Warning", "ApplyFailed", "Apply", `${what}: ${message}`);
    log.error({ kind: child.kind, child: child.metadata.name, err: message }, "apply failed");
    return { outcome: outcome({ applied: false, error: message }), result: undefined };
  }
}

function done(
  deps: ReconcilerDeps,
  child: KubeObject,
  log: Logger,
  { result, resourceVersion }: ApplyOutcome,
): AppliedChild {
  deps.metrics.applyTotal.inc({ kind: child.kind, result });
  if (result !== "unchanged")
    log.info({ kind: child.kind, child: child.metadata.name, result }, "applied child");
  return { outcome: { kind: child.kind, name: child.metadata.name, applied: true }, result, resourceVersion };
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf("/");
  return [key.slice(0, i), key.slice(i + 1)];
}

function asResource(raw: KubeObject & RawMaieDeployment): MaieDeployment {
  return raw as unknown as MaieDeployment;
}

function ownedBy(child: KubeObject, cr: MaieDeployment): boolean {
  return (
    child.metadata.ownerReferences?.some((o) => o.controller === true && o.uid === cr.metadata.uid) === true
  );
}

/**
 * Stamps each child with a hash of what we want it to be, so a field we stop
 * setting (a removed label, say) is a visible difference even though the
 * live object still "contains" everything we now want.
 */
function withDesiredHash(child: KubeObject): KubeObject {
  const hash = sha256Of(child).slice(0, 16);
  return {
    ...child,
    metadata: {
      ...child.metadata,
      annotations: { ...child.metadata.annotations, [DESIRED_HASH_ANNOTATION]: hash },
    },
  };
}

/**
 * The MonitoringConfigured state: the builders' own decisions folded by
 * `monitoringCondition` (so the status cannot disagree with what was built),
 * plus apply failures seen this pass.
 */
function monitoringOutcome(
  cr: MaieDeployment,
  ctx: DesiredContext,
  outcomes: readonly ChildOutcome[],
): MonitoringOutcome {
  const condition = monitoringCondition(monitoringDecision(cr, ctx));
  if (condition.reason !== "Applied") return { state: condition.reason, message: condition.message };
  const failed = outcomes.filter(
    (o) => !o.applied && (MONITORING_KINDS as readonly string[]).includes(o.kind),
  );
  if (failed.length > 0)
    return {
      state: "ApplyFailed",
      message: failed.map((f) => `${f.kind}/${f.name}: ${f.error ?? ""}`).join("; "),
    };
  return { state: "Applied", message: condition.message };
}

/** Writes status through /status with server-side apply, only when it differs from what is stored. */
async function writeStatus(
  deps: ReconcilerDeps,
  raw: KubeObject & RawMaieDeployment,
  status: MaieDeploymentStatus,
): Promise<boolean> {
  if (canonicalJson(raw.status ?? {}) === canonicalJson(status)) return false;
  const type = RESOURCE_TYPES.MaieDeployment;
  const written = await deps.client.request<KubeObject>(
    "PATCH",
    resourcePath(type, raw.metadata.namespace, raw.metadata.name, "status"),
    {
      body: {
        apiVersion: type.apiVersion,
        kind: type.kind,
        metadata: { name: raw.metadata.name, namespace: raw.metadata.namespace },
        status,
      },
      contentType: APPLY_PATCH,
      query: { fieldManager: FIELD_MANAGER, force: true },
    },
  );
  deps.resources.recordWrite(written, raw.metadata.resourceVersion);
  return true;
}
