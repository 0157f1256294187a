import { FIELD_MANAGER } from "../api/group.js";
import type { KubeObject, ManagedFieldsEntry } from "../kube/object.js";

/**
 * What the operator's caches keep of a live object: only what a reconcile
 * reads (issue #18; controller-runtime's metadata-only informers and
 * managedFields-stripping transforms are the model).
 *
 * - Kinds whose content the operator writes but never reads (a dashboards
 *   ConfigMap of ~60 KiB, a PrometheusRule's rule groups) are watched as
 *   metadata only: the apiserver never sends their content to us. Whether
 *   such a child needs an apply is decided from its metadata
 *   (`inSyncByMetadata`), and the whole object is read only when that
 *   cannot tell.
 * - `managedFields` keep who wrote (manager, operation, subresource) but not
 *   the field sets, except on Deployments, where the one path
 *   `replicas-handover.ts` asks about is kept.
 * - kubectl's `last-applied-configuration` copy of the object is dropped.
 * - A Job's pod template is dropped: the status is built from its
 *   conditions and owner only.
 *
 * Pure functions; the informers apply `leanObject` to every object they
 * store, before any handler sees it.
 */

/** Watched and cached as PartialObjectMetadata. */
const METADATA_ONLY_KINDS: ReadonlySet<string> = new Set(["ConfigMap", "PrometheusRule"]);

/** Top-level fields never kept, by kind. */
const DROPPED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Job: ["spec"],
};

/** Annotations that repeat the whole object (kubectl client-side apply). */
const DROPPED_ANNOTATIONS = ["kubectl.kubernetes.io/last-applied-configuration"];

/** Stamped on every child: a hash of what we want it to be (reconciler.ts). */
export const DESIRED_HASH_ANNOTATION = "maie.io/desired-hash";

export function cachedAsMetadata(kind: string): boolean {
  return METADATA_ONLY_KINDS.has(kind);
}

/**
 * A metadata-only child needs no apply when it carries the hash of what we
 * want now and nobody but us has written it: any other writer (kubectl
 * edit, another controller, a force-apply) leaves a managedFields entry in
 * its own name, and then the whole object is read and compared.
 */
export function inSyncByMetadata(desired: KubeObject, cached: KubeObject): boolean {
  const want = desired.metadata.annotations?.[DESIRED_HASH_ANNOTATION];
  return (
    want !== undefined &&
    cached.metadata.annotations?.[DESIRED_HASH_ANNOTATION] === want &&
    (cached.metadata.managedFields ?? []).every(
      // A status writer (a Prometheus Operator reporting where a rule is loaded) leaves our content alone.
      (m) => m.subresource === "status" || (m.manager === FIELD_MANAGER && m.operation === "Apply"),
    )
  );
}

export function leanObject<T extends KubeObject>(obj: T): T {
  const dropped = DROPPED_FIELDS[obj.kind] ?? [];
  const out: Record<string, unknown> = Object.fromEntries(
    Object.entries(obj).filter(([field]) => !dropped.includes(field)),
  );
  out["metadata"] = leanMetadata(obj);
  return out as T;
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

function writer(kind: string, entry: ManagedFieldsEntry): ManagedFieldsEntry {
  const { manager, operation, subresource, fieldsV1 } = entry;
  const who = {
    ...(manager !== undefined && { manager }),
    ...(operation !== undefined && { operation }),
    ...(subresource !== undefined && { subresource }),
  };
  if (kind !== "Deployment" || manager !== FIELD_MANAGER) return who;
  const spec = (fieldsV1 as { "f:spec"?: Record<string, unknown> } | undefined)?.["f:spec"];
  return spec !== undefined && "f:replicas" in spec
    ? { ...who, fieldsV1: { "f:spec": { "f:replicas": {} } } }
    : who;
}
