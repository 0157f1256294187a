/**
 * What the operator benchmarks share: a control plane with our CRD and the
 * Prometheus Operator's, a bounded-concurrency runner, and bulk creation of
 * MaieDeployments.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { ControlPlane } from "../../tools/cluster/controlplane.js";
import { installCrds, prometheusOperatorCrds, readYamlObjects } from "../../tools/cluster/install-crds.js";
import { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

/** etcd + kube-apiserver (no controller manager: no pods), both CRD sets installed. */
export async function startBenchCluster(
  log: (m: string) => void,
): Promise<{ cp: ControlPlane; client: RestClient; kubeconfig: string }> {
  const cp = await ControlPlane.start({ controllerManager: false, log });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const client = await RestClient.fromKubeConfig(kc);
  await installCrds(client, [
    ...(await readYamlObjects("crds/maie.io_maiedeployments.yaml")),
    ...(await prometheusOperatorCrds()),
  ]);
  return { cp, client, kubeconfig: cp.kubeconfigPath };
}

/** Creates `count` MaieDeployments named `${prefix}${i}`, 16 requests in flight. */
export async function createMaieDeployments(
  client: RestClient,
  namespace: string,
  count: number,
  prefix: string,
  spec: (i: number) => object,
): Promise<void> {
  await pool(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      await client.request("POST", resourcePath(RESOURCE_TYPES.MaieDeployment, namespace), {
        body: {
          apiVersion: "maie.io/v1alpha1",
          kind: "MaieDeployment",
          metadata: { name: `${prefix}${i}` },
          spec: spec(i),
        },
      });
    },
  );
}
