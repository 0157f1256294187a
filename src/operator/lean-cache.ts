import { FIELD_MANAGER } from "../api/group.js";
import type { KubeObject, ManagedFieldsEntry } from "../kube/object.js";
import { isSubset } from "./child-diff.js";

/**
 * What the operator's caches keep of a live object: only what a reconcile
 * reads (issue #18; controller-runtime's metadata-only informers and
 * managedFields-stripping transforms are the model).
 *
 * - Kinds whose content the operator writes but never reads (a dashboards
 *   ConfigMap of ~60 KiB, a PrometheusRule's rule groups, a Service, an
 *   Ingress, ...) are watched as metadata only: the apiserver never sends
 *   their content to us. Whether such a child needs an apply is decided
 *   from its metadata (`inSyncByMetadata`), and the whole object is read
 *   only when that cannot tell.
 * - `managedFields` keep who wrote (manager, operation, subresource) but not
 *   the field sets, except on Deployments, where the one path
 *   `replicas-handover.ts` asks about is kept.
 * - kubectl's `last-applied-configuration` copy of the object is dropped.
 * - A Job's pod template is dropped: the status is built from its
 *   conditions and owner only.
 * - A Deployment's pod template and a CronJob's job template (most of
 *   their size, with everything the apiserver defaults) are dropped; the
 *   rest (replicas, schedule, suspend, status) is kept and compared as
 *   usual. Whether the template is still ours is decided like a
 *   metadata-only child: our hash, and no other writer under that field
 *   (each writer's field set is kept only as "owns something under it").
 *
 * Pure functions; the informers apply `leanObject` to every object they
 * store, before any handler sees it.
 */

/**
 * Watched and cached as PartialObjectMetadata: the kinds whose content we
 * write and never read (the status reads only Deployments, CronJobs, Jobs
 * and claims), and that nobody else writes outside a status subresource.
 * Claims stay whole: the volume binder writes their spec and annotations.
 */
const METADATA_ONLY_KINDS: ReadonlySet<string> = new Set([
  "ConfigMap",
  "PrometheusRule",
  "ServiceMonitor",
  "Service",
  "ServiceAccount",
  "Ingress",
  "HorizontalPodAutoscaler",
  "PodDisruptionBudget",
  "NetworkPolicy",
]);

/** Top-level fields never kept, by kind. */
const DROPPED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Job: ["spec"],
};

/**
 * The spec field never kept, by kind: the part of the content we write and
 * never read, decided by hash and writers instead (`inSyncByMetadata`).
 */
const UNCACHED_SPEC_FIELD: Readonly<Record<string, string>> = {
  Deployment: "template",
  CronJob: "jobTemplate",
};

/** Annotations that repeat the whole object (kubectl client-side apply). */
const DROPPED_ANNOTATIONS = ["kubectl.kubernetes.io/last-applied-configuration"];

/** Stamped on every child: a hash of what we want it to be (reconciler.ts). */
export const DESIRED_HASH_ANNOTATION = "maie.io/desired-hash";

export function cachedAsMetadata(kind: string): boolean {
  return METADATA_ONLY_KINDS.has(kind);
}

/** Whether the cache holds all of a child's content we set (else `inSyncByMetadata` decides, or it is read). */
export function cachesWholeContent(kind: string): boolean {
  return !METADATA_ONLY_KINDS.has(kind) && UNCACHED_SPEC_FIELD[kind] === undefined;
}

/**
 * Whether a child whose content the cache does not hold all of needs no
 * apply. It must carry the hash of what we want now, with our own apply
 * among its writers, and:
 * - metadata-only kinds: nobody but us has written it (any other writer,
 *   `kubectl edit`, another controller, a force-apply, leaves a
 *   managedFields entry in its own name; a status writer aside; our own
 *   plain patch of a list we had to take back, reclaim.ts, is ours);
 * - kinds held without their template: nobody else owns anything under
 *   the template, and the rest of what we want is in the cached object.
 * Anything else is inconclusive: the whole object is read and compared.
 */
export function inSyncByMetadata(desired: KubeObject, cached: KubeObject): boolean {
  const want = desired.metadata.annotations?.[DESIRED_HASH_ANNOTATION];
  const writers = cached.metadata.managedFields ?? [];
  if (want === undefined || cached.metadata.annotations?.[DESIRED_HASH_ANNOTATION] !== want) return false;
  if (!writers.some(isOurApply)) return false;
  if (METADATA_ONLY_KINDS.has(desired.kind)) {
    // A status writer (a Prometheus Operator reporting where a rule is loaded) leaves our content alone.
    return writers.every((m) => m.subresource === "status" || m.manager === FIELD_MANAGER);
  }
  const field = UNCACHED_SPEC_FIELD[desired.kind];
  if (field === undefined) return false;
  return (
    !writers.some((m) => m.manager !== FIELD_MANAGER && specFieldsOf(m)?.[`f:${field}`] !== undefined) &&
    isSubset(withoutSpecField(desired, field), cached)
  );
}

function isOurApply(m: ManagedFieldsEntry): boolean {
  return m.manager === FIELD_MANAGER && m.operation === "Apply";
}

function specFieldsOf(m: ManagedFieldsEntry): Record<string, unknown> | undefined {
  return (m.fieldsV1 as { "f:spec"?: Record<string, unknown> } | undefined)?.["f:spec"];
}

function withoutSpecField<T extends KubeObject>(obj: T, field: string): T {
  const spec = obj["spec"] as Record<string, unknown> | undefined;
  if (spec === undefined || !(field in spec)) return obj;
  const { [field]: _dropped, ...rest } = spec;
  return { ...obj, spec: rest };
}

export function leanObject<T extends KubeObject>(obj: T): T {
  const dropped = DROPPED_FIELDS[obj.kind] ?? [];
  const out: Record<string, unknown> = Object.fromEntries(
    Object.entries(obj).filter(([field]) => !dropped.includes(field)),
  );
  const uncached = UNCACHED_SPEC_FIELD[obj.kind];
  const lean = uncached === undefined ? (out as T) : withoutSpecField(out as T, uncached);
  return { ...lean, metadata: leanMetadata(obj) };
}

function leanMetadata(obj: KubeObject): KubeObject["metadata"] {
  const { managedFields, annotations, ...rest } = obj.metadata;
  const writers = (managedFields ?? []).map((m) => writer(obj.kind, m));
  const kept =
    annotations === undefined
      ? undefined
      : Object.fromEntries(Object.entries(annotations).filter(([k]) => !DROPPED_ANNOTATIONS.includes(k)));
  return {
    ...rest,
    ...(kept !== undefined && { annotations: kept }),
    ...(writers.length > 0 && { managedFields: writers }),
  };
}

/**
 * Who wrote, and of their field set only what a decision asks: on a
 * Deployment, whether our apply owns `spec.replicas` (the HPA hand-over);
 * on a kind held without its template, whether another writer owns
 * anything under it.
 */
function writer(kind: string, entry: ManagedFieldsEntry): ManagedFieldsEntry {
  const { manager, operation, subresource } = entry;
  const who = {
    ...(manager !== undefined && { manager }),
    ...(operation !== undefined && { operation }),
    ...(subresource !== undefined && { subresource }),
  };
  const spec = specFieldsOf(entry);
  const kept = Object.fromEntries(
    keptSpecFields(kind, entry)
      .filter((f) => spec?.[f] !== undefined)
      .map((f) => [f, {}]),
  );
  return Object.keys(kept).length > 0 ? { ...who, fieldsV1: { "f:spec": kept } } : who;
}

function keptSpecFields(kind: string, entry: ManagedFieldsEntry): string[] {
  if (isOurApply(entry)) return kind === "Deployment" ? ["f:replicas"] : [];
  if (entry.manager === FIELD_MANAGER) return [];
  const uncached = UNCACHED_SPEC_FIELD[kind];
  return uncached === undefined ? [] : [`f:${uncached}`];
}
