import { ControlPlane } from "../../tools/cluster/controlplane.js";
import { nodeImageArchives } from "../../tools/cluster/node-images.js";
import { E2E_KUBECONFIG_ENV, E2E_NODES } from "./e2e.js";

/**
 * Jest global setup of the e2e project: one control plane with real nodes
 * (kube-scheduler, containerd + runc + CNI + kubelet) running this
 * repository's image. The tests install the operator themselves, with Helm.
 */
export default async function e2eSetup(): Promise<void> {
  const started = Date.now();
  const controlPlane = await ControlPlane.start({
    nodes: E2E_NODES,
    images: nodeImageArchives(),
    log: (m) => process.stderr.write(`[e2e cluster] ${m}\n`),
  });
  (globalThis as { __maieE2eCluster?: ControlPlane }).__maieE2eCluster = controlPlane;
  process.env[E2E_KUBECONFIG_ENV] = controlPlane.kubeconfigPath;
  process.env["MAIE_E2E_CLUSTER_DIR"] = controlPlane.dir;
  process.env["MAIE_E2E_NETNS"] = controlPlane.netns ?? "";
  process.stderr.write(
    `[e2e cluster] ${E2E_NODES} nodes ready in ${((Date.now() - started) / 1000).toFixed(1)} s: KUBECONFIG=${controlPlane.kubeconfigPath}\n`,
  );
}
