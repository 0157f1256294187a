import { ControlPlane } from "../../tools/cluster/controlplane.js";
import { installCrds, prometheusOperatorCrds, readYamlObjects } from "../../tools/cluster/install-crds.js";
import { CRD_FILE } from "../../src/api/group.js";
import { restClient, SHARED_KUBECONFIG_ENV } from "./cluster.js";

/**
 * Jest global setup of the integration project: one real control plane
 * (etcd + kube-apiserver + kube-controller-manager) for all test files, with
 * our CRD and the Prometheus Operator's CRDs installed.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const controlPlane = await ControlPlane.start({
    controllerManager: true,
    log: (m) => process.stderr.write(`[controlplane] ${m}\n`),
  });
  (globalThis as { __maieControlPlane?: ControlPlane }).__maieControlPlane = controlPlane;
  const client = await restClient(controlPlane.kubeconfigPath);
  await installCrds(client, [...(await readYamlObjects(CRD_FILE)), ...(await prometheusOperatorCrds())]);
  client.close();
  process.env[SHARED_KUBECONFIG_ENV] = controlPlane.kubeconfigPath;
  process.stderr.write(
    `[controlplane] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: KUBECONFIG=${controlPlane.kubeconfigPath}\n`,
  );
}
