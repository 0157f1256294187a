/**
 * The baseline the operator is compared with: a client that does only the
 * work the operator must do, in the same order and under the same budget.
 * `concurrency` workers each take the next MaieDeployment (in creation
 * order), compute its desired children and server-side-apply all of them at
 * once; every request goes through one RestClient holding `maxInFlight`
 * slots. No caches, no queue, no status.
 */
import { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import type { KubeObject } from "../../src/kube/object.js";
import { applyObject, childrenOf, pool } from "./bench-cluster.js";
import type { VerbCounts } from "./operator-process.js";

export interface BareResult {
  readonly objects: number;
  readonly requests: VerbCounts;
  /** Most requests the client had in flight at once (at most the budget). */
  readonly peakInFlight: number;
}

export async function applyAsBareClient(
  kubeconfig: string,
  namespace: string,
  options: {
    readonly concurrency: number;
    readonly maxInFlight: number;
    readonly onProgress?: (done: number) => void;
  },
): Promise<BareResult> {
  const client = await RestClient.fromKubeconfigFile(kubeconfig, { maxInFlight: options.maxInFlight });
  const requests = new Map<string, number>();
  client.onRequest((method) => requests.set(method, (requests.get(method) ?? 0) + 1));
  try {
    const items = (
      await client.request<{ items: KubeObject[] }>(
        "GET",
        resourcePath(RESOURCE_TYPES.MaieDeployment, namespace),
      )
    ).items;
    // The list comes back in name order (m0, m1, m10, …); the operator's queue fills in creation order (m0, m1, m2, …).
    const index = (o: KubeObject) => Number(/\d+$/.exec(o.metadata.name)?.[0]);
    items.sort((a, b) => index(a) - index(b));
    let objects = 0;
    let done = 0;
    await pool(items, options.concurrency, async (raw) => {
      const children = childrenOf(raw);
      objects += children.length;
      await Promise.all(children.map((o) => applyObject(client, o, "bare-client")));
      options.onProgress?.((done += 1));
    });
    return { objects, requests, peakInFlight: client.inFlight?.peak ?? NaN };
  } finally {
    client.close();
  }
}
