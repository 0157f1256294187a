import { FIELD_MANAGER } from "../api/group.js";
import type { KubeObject } from "../kube/object.js";
import { APPLY_PATCH, KubeApiError, isNotFound, type KubeClient } from "../kube/rest.js";
import { resourcePath, resourceType } from "../kube/resources.js";
import { isSubset, sameObject } from "./child-diff.js";
import { JSON_PATCH, reclaimPatch } from "./reclaim.js";

export type ApplyResult = "created" | "updated" | "unchanged";

/**
 * Server-side apply of one child under the `maie-operator` field manager,
 * with force (we own these fields; another manager's conflicting edit of a
 * field we set is reverted, as design §3 requires). Writes only when
 * something would change: first the cached live object is compared, then,
 * if that is inconclusive, the apiserver is asked with a dry-run apply.
 */
export async function applyChild(
  client: KubeClient,
  desired: KubeObject,
  cached: KubeObject | undefined,
): Promise<ApplyResult> {
  if (cached !== undefined && isSubset(desired, cached)) return "unchanged";
  const type = resourceType(desired.kind);
  const path = resourcePath(type, desired.metadata.namespace, desired.metadata.name);
  // A cache miss is not proof of absence: under load the watch can lag our own
  // writes, and a no-op apply would then be reported as a change.
  const live = cached ?? (await readLive(client, path));
  if (live !== undefined && isSubset(desired, live)) return "unchanged";
  const query = { fieldManager: FIELD_MANAGER, force: true };
  try {
    if (live !== undefined) {
      const dryRun = await client.request<KubeObject>("PATCH", path, {
        body: desired,
        contentType: APPLY_PATCH,
        query: { ...query, dryRun: "All" },
      });
      if (sameObject(dryRun, live)) return "unchanged";
    }
    await client.request<KubeObject>("PATCH", path, { body: desired, contentType: APPLY_PATCH, query });
  } catch (err) {
    // Another writer's list entry can make our apply invalid forever (see reclaim.ts): remove it, then apply.
    const patch = live !== undefined && isInvalid(err) ? reclaimPatch(desired, live) : undefined;
    if (patch === undefined) throw err;
    await client.request("PATCH", path, {
      body: patch,
      contentType: JSON_PATCH,
      query: { fieldManager: FIELD_MANAGER },
    });
    await client.request<KubeObject>("PATCH", path, { body: desired, contentType: APPLY_PATCH, query });
  }
  return live === undefined ? "created" : "updated";
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
  const path = resourcePath(resourceType(live.kind), live.metadata.namespace, live.metadata.name);
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
