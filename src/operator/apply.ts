import { FIELD_MANAGER } from "../api/group.js";
import type { KubeObject } from "../kube/object.js";
import {
  APPLY_PATCH,
  KubeApiError,
  PARTIAL_METADATA,
  isConflict,
  isNotFound,
  type KubeClient,
} from "../kube/rest.js";
import { resourcePath, resourceType } from "../kube/resources.js";
import { isSubset, sameObject } from "./child-diff.js";
import { cachesWholeContent, inSyncByMetadata, leanObject } from "./lean-cache.js";
import { JSON_PATCH, reclaimPatch } from "./reclaim.js";

export type ApplyResult = "created" | "updated" | "unchanged";

/**
 * What an apply did, and the resourceVersion at which the child was seen
 * to hold what we want (verified-children.ts), or undefined when no single
 * version is known to (e.g. a Deployment whose replicas were handed over).
 */
export interface ApplyOutcome {
  readonly result: ApplyResult;
  readonly resourceVersion: string | undefined;
}

/**
 * Our writes' answers are read for their version only: asking for the
 * metadata spares the apiserver encoding, and us parsing, the whole object.
 */
const METADATA_ANSWER = { accept: PARTIAL_METADATA } as const;

/**
 * A server-side apply that only creates: `metadata.resourceVersion: "1"` is
 * a precondition no stored object can meet (etcd's first write is revision
 * 2), so the apiserver creates the object when the name is free and answers
 * 409 when anything holds it. One request instead of a read and then an
 * apply, and no window in which an object created by someone else between
 * the two could be taken over.
 */
const NO_OBJECT_VERSION = "1";

/** Created (at the version returned), or "exists" when an object of that name is already there (ours under watch lag, or someone else's). */
export async function createChild(client: KubeClient, desired: KubeObject): Promise<ApplyOutcome | "exists"> {
  try {
    const created = await client.request<KubeObject>("PATCH", pathOf(desired), {
      body: { ...desired, metadata: { ...desired.metadata, resourceVersion: NO_OBJECT_VERSION } },
      contentType: APPLY_PATCH,
      query: { fieldManager: FIELD_MANAGER, force: true },
      ...METADATA_ANSWER,
    });
    return { result: "created", resourceVersion: created.metadata.resourceVersion };
  } catch (err) {
    if (isConflict(err)) return "exists";
    throw err;
  }
}

/**
 * Server-side apply of one existing child under the `maie-operator` field
 * manager, with force (we own these fields; another manager's conflicting
 * edit of a field we set is reverted, as design §3 requires). Writes only
 * when something would change: first the cached object is compared (as
 * the cache holds it, see lean-cache.ts), then, if that is inconclusive, the
 * apiserver is asked with a dry-run apply.
 */
export async function applyChild(
  client: KubeClient,
  desired: KubeObject,
  cached: KubeObject,
): Promise<ApplyOutcome> {
  const path = pathOf(desired);
  const unchanged = (o: KubeObject): ApplyOutcome => ({
    result: "unchanged",
    resourceVersion: o.metadata.resourceVersion,
  });
  let live = cached;
  if (!cachesWholeContent(desired.kind)) {
    if (inSyncByMetadata(desired, cached)) return unchanged(cached);
    // The cache does not hold all of this kind's content: compare with the whole object.
    const read = await readLive(client, path);
    if (read === undefined) {
      const created = await createChild(client, desired);
      return created === "exists" ? { result: "updated", resourceVersion: undefined } : created;
    }
    live = read;
  }
  if (isSubset(desired, live)) return unchanged(live);
  const query = { fieldManager: FIELD_MANAGER, force: true };
  const apply = () =>
    client.request<KubeObject>("PATCH", path, {
      body: desired,
      contentType: APPLY_PATCH,
      query,
      ...METADATA_ANSWER,
    });
  let written: KubeObject;
  try {
    const dryRun = await client.request<KubeObject>("PATCH", path, {
      body: desired,
      contentType: APPLY_PATCH,
      query: { ...query, dryRun: "All" },
    });
    if (sameObject(leanObject(dryRun), leanObject(live))) return unchanged(live);
    written = await apply();
  } catch (err) {
    // Another writer's list entry can make our apply invalid forever (see reclaim.ts): remove it, then apply.
    const patch = isInvalid(err) ? reclaimPatch(desired, live) : undefined;
    if (patch === undefined) throw err;
    await client.request("PATCH", path, {
      body: patch,
      contentType: JSON_PATCH,
      query: { fieldManager: FIELD_MANAGER },
      ...METADATA_ANSWER,
    });
    written = await apply();
  }
  return { result: "updated", resourceVersion: written.metadata.resourceVersion };
}

function pathOf(obj: KubeObject): string {
  return resourcePath(resourceType(obj.kind), obj.metadata.namespace, obj.metadata.name);
}

function isInvalid(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 422;
}

/** The live object at `path`, or undefined when there is none. */
export async function readLive(client: KubeClient, path: string): Promise<KubeObject | undefined> {
  try {
    return await client.request<KubeObject>("GET", path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Deletes a child that is no longer desired, only if it is still the object we saw (uid precondition). */
export async function deleteChild(client: KubeClient, live: KubeObject): Promise<boolean> {
  const path = pathOf(live);
  try {
    await client.request("DELETE", path, {
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        ...(live.metadata.uid !== undefined && { preconditions: { uid: live.metadata.uid } }),
      },
    });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    if (err instanceof KubeApiError && err.status === 409) return false;
    throw err;
  }
}
