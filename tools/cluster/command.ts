import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { ControlPlane } from "./controlplane.js";
import { installCrds, prometheusOperatorCrds, readYamlObjects } from "./install-crds.js";
import { CRD_FILE } from "../../src/api/group.js";
import { RestClient } from "../../src/kube/rest.js";
import type { Command } from "../../src/cli/command.js";
import { DEV_IMAGE, nodeImageArchives } from "./node-images.js";

export const controlplaneCommand: Command = {
  name: "controlplane",
  summary:
    "Start a local Kubernetes control plane (etcd + kube-apiserver) with the CRDs, for development and demos",
  usage: `Usage: maie controlplane [--nodes N] [--dir DIR] [--no-controller-manager] [--no-prometheus-crds] [--kubeconfig-out FILE]

Starts etcd, kube-apiserver (RBAC on) and kube-controller-manager on 127.0.0.1
from the binaries built by tools/build-binaries.sh, installs the MaieDeployment
CRD from ${CRD_FILE} and the Prometheus Operator's ServiceMonitor and
PrometheusRule CRDs, prints the admin kubeconfig path, and runs until Ctrl-C.

With --nodes N (root only), also kube-scheduler and N real nodes (containerd +
runc + CNI + kubelet) in a network namespace of their own, with this
repository's image (${DEV_IMAGE.repository}:${DEV_IMAGE.tag}) imported from
tools/image/node-images.sh, a default StorageClass with local volumes, and
kubectl logs/exec/port-forward working. Ctrl-C removes every process, mount,
cgroup and interface it made.

  --nodes N                 real nodes to run (default 0)
  --dir DIR                 keep certs, logs and etcd data here (default: a temp dir, removed on exit)
  --no-controller-manager   do not run kube-controller-manager
  --no-prometheus-crds      do not install the Prometheus Operator CRDs
  --kubeconfig-out FILE     also copy the admin kubeconfig to FILE`,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        dir: { type: "string" },
        nodes: { type: "string", default: "0" },
        "no-controller-manager": { type: "boolean", default: false },
        "no-prometheus-crds": { type: "boolean", default: false },
        "kubeconfig-out": { type: "string" },
      },
    });
    const log = (m: string) => process.stderr.write(`controlplane: ${m}\n`);
    const nodes = Number(values.nodes);
    if (!Number.isInteger(nodes) || nodes < 0 || nodes > 8) {
      process.stderr.write(`controlplane: --nodes must be an integer from 0 to 8, got ${values.nodes}\n`);
      return 2;
    }
    if (nodes > 0 && process.getuid?.() !== 0) {
      process.stderr.write("controlplane: --nodes needs root (network namespaces, mounts, cgroups)\n");
      return 2;
    }
    const started = Date.now();
    const cp = await ControlPlane.start({
      ...(values.dir !== undefined && { dir: values.dir }),
      controllerManager: !values["no-controller-manager"],
      nodes,
      ...(nodes > 0 && { images: nodeImageArchives() }),
      log,
    });
    const stop = async () => {
      log("stopping");
      await cp.stop({ removeDir: values.dir === undefined });
      process.exit(0);
    };
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const client = await RestClient.fromKubeConfig(kc);
    log(`installing ${CRD_FILE}`);
    const crds = await readYamlObjects(CRD_FILE);
    if (!values["no-prometheus-crds"]) {
      log("installing the Prometheus Operator CRDs from its Go module");
      crds.push(...(await prometheusOperatorCrds()));
    }
    await installCrds(client, crds);
    client.close();
    if (values["kubeconfig-out"] !== undefined) {
      const { copyFile } = await import("node:fs/promises");
      await copyFile(cp.kubeconfigPath, values["kubeconfig-out"]);
    }
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s; logs in ${cp.dir}/logs`);
    process.stdout.write(`export KUBECONFIG=${values["kubeconfig-out"] ?? cp.kubeconfigPath}\n`);
    log("press Ctrl-C to stop");
    await new Promise<never>(() => undefined);
    return 0;
  },
};
