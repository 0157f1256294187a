import { RestClient } from "../../src/kube/rest.js";
import { waitFor } from "./wait.js";
import { nodeSchedulable, type NodeList } from "./node-status.js";

/**
 * Waits until every named node is Ready and untainted (the node lifecycle
 * controller lifts `not-ready:NoSchedule` a moment after Ready), so a pod
 * applied next schedules at once.
 */
export async function waitNodesReady(
  kubeconfigPath: string,
  names: readonly string[],
  timeoutMs: number,
  alive: () => boolean,
): Promise<void> {
  const client = await RestClient.fromKubeconfigFile(kubeconfigPath);
  try {
    await waitFor(
      async () => {
        const list = await client.request<NodeList>("GET", "/api/v1/nodes").catch(() => ({ items: [] }));
        const ready = new Set(list.items.filter(nodeSchedulable).map((n) => n.metadata.name));
        return names.every((n) => ready.has(n));
      },
      timeoutMs,
      alive,
      `nodes ${names.join(", ")} (kubelet logs under nodes/*/kubelet.log)`,
    );
  } finally {
    client.close();
  }
}
