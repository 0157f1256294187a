import { parseArgs } from "node:util";
import { ControlPlane } from "./controlplane.js";
import { installCrds, prometheusOperatorCrds, readYamlObjects } from "./install-crds.js";
import { CRD_FILE } from "../../src/api/group.js";
import { RestClient } from "../../src/kube/rest.js";
import type { Command } from "../../src/cli/command.js";
import { DEV_IMAGE, nodeImageArchives } from "./node-images.js";
import { MlflowServer } from "./mlflow-server.js";
import { forwardIntoNodeNetwork, NODE_MLFLOW_PORT, NODE_S3_PORT, nodeAddress } from "./node-network.js";
import { ObjectStoreServer } from "./object-store.js";
import { DEV_ENV } from "../../src/contract/env.js";

/** The local S3 server, forwarded into the node network when there are nodes; what to export. */
async function startObjectStore(
  cp: ControlPlane,
  bucket: string,
  log: (m: string) => void,
): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  log(`starting a local S3 server (SeaweedFS) with bucket ${bucket}`);
  const server = await ObjectStoreServer.start({ buckets: [bucket] });
  const forward =
    cp.netns === undefined
      ? undefined
      : await forwardIntoNodeNetwork(cp.netns, cp.dir, Number(new URL(server.endpoint).port), NODE_S3_PORT);
  const env = {
    ...server.env(bucket),
    ...(forward !== undefined && {
      [DEV_ENV.nodeObjectStoreEndpoint]: `http://${nodeAddress(1).ip}:${NODE_S3_PORT}`,
    }),
  };
  return {
    env,
    stop: async () => {
      await forward?.stop();
      await server.stop({ removeDir: true });
    },
  };
}

/** A local MLflow tracking server and registry, forwarded into the node network when there are nodes. */
async function startMlflow(
  cp: ControlPlane,
  log: (m: string) => void,
): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  const server = await MlflowServer.start({ log });
  const forward =
    cp.netns === undefined
      ? undefined
      : await forwardIntoNodeNetwork(cp.netns, cp.dir, server.port, NODE_MLFLOW_PORT);
  return {
    env: {
      ...server.env(),
      ...(forward !== undefined && {
        [DEV_ENV.nodeMlflowTrackingUri]: `http://${nodeAddress(1).ip}:${NODE_MLFLOW_PORT}`,
      }),
    },
    stop: async () => {
      await forward?.stop();
      await server.stop({ removeDir: true });
    },
  };
}

export const controlplaneCommand: Command = {
  name: "controlplane",
  summary:
    "Start a local Kubernetes control plane (etcd + kube-apiserver) with the CRDs, for development and demos",
  usage: `Usage: maie controlplane [--nodes N] [--dir DIR] [--object-store BUCKET] [--mlflow] [--no-controller-manager] [--no-prometheus-crds] [--kubeconfig-out FILE]

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
  --object-store BUCKET     also run a local S3 server (SeaweedFS) with BUCKET and print its
                            variables (MAIE_OBJECT_STORE_*, AWS_*); with --nodes, pods reach it at
                            $${DEV_ENV.nodeObjectStoreEndpoint} (printed too)
  --mlflow                  also run a local MLflow tracking server and Model Registry (mlflow
                            from PyPI, SQLite, artifact proxy) and print MLFLOW_TRACKING_URI;
                            with --nodes, pods reach it at $${DEV_ENV.nodeMlflowTrackingUri}
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
        "object-store": { type: "string" },
        mlflow: { type: "boolean", default: false },
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
    const bucket = values["object-store"];
    const store = bucket === undefined ? undefined : await startObjectStore(cp, bucket, log);
    const mlflow = values.mlflow ? await startMlflow(cp, log) : undefined;
    const stop = async () => {
      log("stopping");
      await mlflow?.stop();
      await store?.stop();
      await cp.stop({ removeDir: values.dir === undefined });
      process.exit(0);
    };
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
    const client = await RestClient.fromKubeconfigFile(cp.kubeconfigPath);
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
    for (const [name, value] of Object.entries({ ...store?.env, ...mlflow?.env }))
      process.stdout.write(`export ${name}=${value}\n`);
    process.stdout.write(`export KUBECONFIG=${values["kubeconfig-out"] ?? cp.kubeconfigPath}\n`);
    log("press Ctrl-C to stop");
    await new Promise<never>(() => undefined);
    return 0;
  },
};
