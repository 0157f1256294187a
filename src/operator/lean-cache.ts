import { FIELD_MANAGER } from "../api/group.js";
import { sha256Of } from "../desired/plain.js";
import type { KubeObject, ManagedFieldsEntry } from "../kube/object.js";

/**
 * What the operator's caches keep of a live object: only what a reconcile
 * reads (issue #18; controller-runtime's metadata-only informers and
 * managedFields-stripping transforms are the model).
 *
 * - `managedFields` are dropped, except our own Apply entry, which says a
 *   claim was written by us (adoption.ts); its field set is kept only on
 *   Deployments, reduced to the one path `replicas-handover.ts` asks about.
 * - Large payloads the operator writes but never reads (a dashboards
 *   ConfigMap's JSON, a PrometheusRule's rule groups) are replaced by their
 *   digest. The desired object is digested the same way before the
 *   comparison (`comparableDesired`), so an unchanged payload still costs no
 *   request and a payload someone edited is still noticed and re-applied.
 *   The full object is read only when the digests differ.
 * - A Job's pod template is dropped: the status is built from its
 *   conditions and owner only.
 *
 * Pure functions: the informers apply `leanObject` to every object they
 * store, before any handler sees it.
 */

/** The key the digest is stored under, in place of a payload. */
export const PAYLOAD_DIGEST_KEY = "maie.io/sha256";

/** Top-level fields replaced by their digest, by kind. */
const DIGESTED_PAYLOADS: Readonly<Record<string, readonly string[]>> = {
  ConfigMap: ["data", "binaryData"],
  PrometheusRule: ["spec"],
};

/** Top-level fields never kept, by kind. */
const DROPPED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Job: ["spec"],
};

/** Annotations that repeat the whole object (kubectl client-side apply). */
const DROPPED_ANNOTATIONS = ["kubectl.kubernetes.io/last-applied-configuration"];

/** True when the cache holds less than the object: a diff against it must read the full object first. */
export function cachedWithoutPayload(kind: string): boolean {
  return DIGESTED_PAYLOADS[kind] !== undefined || DROPPED_FIELDS[kind] !== undefined;
}

export function leanObject<T extends KubeObject>(obj: T): T {
  const dropped = DROPPED_FIELDS[obj.kind] ?? [];
  const out: Record<string, unknown> = Object.fromEntries(
    Object.entries(obj).filter(([field]) => !dropped.includes(field)),
  );
  out["metadata"] = leanMetadata(obj);
  digestPayloads(obj.kind, out);
  return out as T;
}

/** The desired object as the cache would hold it: what `isSubset` compares with a cached object. */
export function comparableDesired(desired: KubeObject): KubeObject {
  const out: Record<string, unknown> = { ...desired };
  digestPayloads(desired.kind, out);
  return out as KubeObject;
}

/** Replaces each payload field by its digest, in place; a field already digested stays as it is. */
function digestPayloads(kind: string, out: Record<string, unknown>): void {
  for (const field of DIGESTED_PAYLOADS[kind] ?? []) {
    const value = out[field];
    if (value === undefined || isDigest(value)) continue;
    out[field] = { [PAYLOAD_DIGEST_KEY]: sha256Of(value) };
  }
}

function isDigest(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    Object.keys(value).length === 1 &&
    PAYLOAD_DIGEST_KEY in value
  );
}

function leanMetadata(obj: KubeObject): KubeObject["metadata"] {
  const { managedFields, annotations, ...rest } = obj.metadata;
  const ours = (managedFields ?? [])
    .filter((m) => m.manager === FIELD_MANAGER && m.operation === "Apply" && m.subresource === undefined)
    .map((m) => ownEntry(obj.kind, m));
  const kept =
    annotations === undefined
      ? undefined
      : Object.fromEntries(Object.entries(annotations).filter(([k]) => !DROPPED_ANNOTATIONS.includes(k)));
  return {
    ...rest,
    ...(kept !== undefined && { annotations: kept }),
    ...(ours.length > 0 && { managedFields: ours }),
  };
}

function ownEntry(kind: string, entry: ManagedFieldsEntry): ManagedFieldsEntry {
  const { fieldsV1, ...rest } = entry;
  if (kind !== "Deployment") return rest;
  const spec = (fieldsV1 as { "f:spec"?: Record<string, unknown> } | undefined)?.["f:spec"];
  return spec !== undefined && "f:replicas" in spec
    ? { ...rest, fieldsV1: { "f:spec": { "f:replicas": {} } } }
    : rest;
}
