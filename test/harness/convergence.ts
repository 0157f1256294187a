import { MANAGED_SELECTOR } from "../../src/desired/meta.js";
import type { KubeObject } from "../../src/kube/object.js";
import type { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath, type KindName } from "../../src/kube/resources.js";

/** Checks shared by the fault and soak tests: "converged" and "no duplicate child", read from the apiserver. */

interface Reported {
  metadata: { name: string; generation?: number };
  spec?: Record<string, unknown>;
  status?: { observedGeneration?: number; children?: { kind: string; name: string; applied: boolean }[] };
}

export async function listObjects<T = KubeObject>(
  client: RestClient,
  kind: KindName,
  namespace: string,
  labelSelector?: string,
): Promise<T[]> {
  return (
    await client.request<{ items: T[] }>("GET", resourcePath(RESOURCE_TYPES[kind], namespace), {
      query: { labelSelector },
    })
  ).items;
}

/**
 * Names of the resources not yet converged: status written for the current
 * generation (no spec update lost) by a reconcile in which every child applied.
 */
export async function unconverged(
  client: RestClient,
  namespace: string,
  only?: readonly string[],
): Promise<string[]> {
  const items = await listObjects<Reported>(client, "MaieDeployment", namespace);
  return items
    .filter((r) => only === undefined || only.includes(r.metadata.name))
    .filter((r) => {
      const children = r.status?.children ?? [];
      return (
        r.status?.observedGeneration !== r.metadata.generation ||
        children.length === 0 ||
        children.some((c) => !c.applied)
      );
    })
    .map((r) => r.metadata.name);
}

/**
 * Every object of `kind` in the namespace, checked for duplicates: names are
 * unique by construction, so a duplicate child would be a second object for
 * one resource (another name, or a second controller owner reference).
 * Returns the sorted names; throws on an object with more than one controller.
 */
export async function childNames(client: RestClient, kind: KindName, namespace: string): Promise<string[]> {
  // Only our children: the namespace's own "default" ServiceAccount and root CA ConfigMap are not.
  const items = await listObjects(client, kind, namespace, MANAGED_SELECTOR);
  for (const o of items) {
    const controllers = (o.metadata.ownerReferences ?? []).filter((r) => r.controller === true);
    if (controllers.length > 1)
      throw new Error(`${kind}/${o.metadata.name} has ${controllers.length} controllers`);
  }
  return items.map((o) => o.metadata.name).sort();
}
