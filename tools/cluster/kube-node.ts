import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { binary } from "./paths.js";
import { issueClientCert, issueServingCert, type ControlPlaneCerts } from "./certs.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { APISERVER_NODE_PORT, type NodeAddress, type NodeNetwork } from "./node-network.js";
import { cniConfList, containerdConfig, kubeletConfig, type NodePaths } from "./node-config.js";
import { spawnTied, type TiedProcess } from "./tied-process.js";
import { createCgroups, releaseHostResources } from "./host-cleanup.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);

/** The Debian packages a node needs (installed by tools/node-packages.sh). */
export const NODE_COMMANDS = ["containerd", "ctr", "runc", "nsenter", "iptables", "ip"] as const;

function nodePaths(dir: string, cgroupRoot: string): NodePaths {
  return {
    dir,
    containerdRoot: join(dir, "containerd", "root"),
    containerdState: join(dir, "containerd", "state"),
    containerdSocket: join(dir, "containerd", "containerd.sock"),
    cniConfDir: join(dir, "cni"),
    kubeletRoot: join(dir, "kubelet"),
    kubeletConfig: join(dir, "kubelet-config.yaml"),
    kubeletKubeconfig: join(dir, "kubelet.kubeconfig"),
    cgroupRoot,
  };
}

export interface KubeNodeOptions {
  readonly dir: string;
  readonly address: NodeAddress;
  readonly network: NodeNetwork;
  readonly certs: ControlPlaneCerts;
  /** Image archives (docker-archive or OCI tar) imported into containerd before the kubelet starts. */
  readonly images: readonly string[];
  /** The cgroup path prefix shared by the control plane's nodes. */
  readonly cgroupPrefix: string;
  readonly log: (message: string) => void;
}

/**
 * One Kubernetes node: containerd + runc + CNI and a kubelet of the control
 * plane's version, in the node network, with its own containerd root, kubelet
 * root and cgroup subtree, so stopping it leaves nothing on the host.
 */
export class KubeNode {
  private containerd: TiedProcess | undefined;
  private kubelet: TiedProcess | undefined;

  private constructor(
    private readonly options: KubeNodeOptions,
    readonly paths: NodePaths,
  ) {}

  get name(): string {
    return this.options.address.name;
  }

  get address(): NodeAddress {
    return this.options.address;
  }

  static async start(options: KubeNodeOptions): Promise<KubeNode> {
    const paths = nodePaths(options.dir, `${options.cgroupPrefix}/${options.address.name}`);
    const node = new KubeNode(options, paths);
    try {
      await node.prepare();
      await node.startContainerd();
      await node.importImages();
      await node.startKubelet();
    } catch (err) {
      await node.stop();
      throw err;
    }
    return node;
  }

  private log(message: string): void {
    this.options.log(`${this.name}: ${message}`);
  }

  private logFile(name: string): string {
    return join(this.paths.dir, `${name}.log`);
  }

  private async prepare(): Promise<void> {
    const { address, certs } = this.options;
    const paths = this.paths;
    for (const d of [paths.containerdRoot, paths.containerdState, paths.cniConfDir, paths.kubeletRoot])
      await mkdir(d, { recursive: true });
    await writeFile(join(paths.dir, "containerd.toml"), containerdConfig(paths));
    await writeFile(join(paths.cniConfDir, "10-maie.conflist"), cniConfList(address, paths));
    const identity = await issueClientCert(
      certs,
      paths.dir,
      "kubelet-client",
      `/O=system:nodes/CN=system:node:${address.name}`,
    );
    const serving = await issueServingCert(certs, paths.dir, "kubelet-serving", [address.ip], [address.name]);
    await writeFile(
      paths.kubeletKubeconfig,
      renderKubeconfig({
        server: `https://127.0.0.1:${APISERVER_NODE_PORT}`,
        caCert: certs.caCert,
        user: { name: `system:node:${address.name}`, clientCert: identity.cert, clientKey: identity.key },
      }),
    );
    await writeFile(
      paths.kubeletConfig,
      kubeletConfig({
        paths,
        node: address,
        caCert: certs.caCert,
        servingCert: serving.cert,
        servingKey: serving.key,
      }),
    );
    // kubelet requires its cgroup root to exist in every hierarchy.
    await createCgroups(paths.cgroupRoot);
  }

  private async startContainerd(): Promise<void> {
    this.log("starting containerd");
    // containerd, and so every shim it starts, runs in the node's own cgroup
    // subtree: if our process is SIGKILLed, the shims it orphans are still
    // found there (and killed) by the next cluster's sweep.
    const runtimeCgroup = `${this.paths.cgroupRoot}/runtime`;
    await createCgroups(runtimeCgroup);
    const cmd = this.options.network.wrap("bash", [
      "-c",
      'for d in /sys/fs/cgroup/*"$0"; do echo $$ > "$d/cgroup.procs" 2>/dev/null || true; done; exec "$@"',
      runtimeCgroup,
      "containerd",
      "--config",
      join(this.paths.dir, "containerd.toml"),
    ]);
    this.containerd = spawnTied("containerd", cmd.command, cmd.args, this.logFile("containerd"));
    const containerd = this.containerd;
    await waitFor(
      async () =>
        existsSync(this.paths.containerdSocket) &&
        (await this.ctr(["version"]).then(
          () => true,
          () => false,
        )),
      30_000,
      () => containerd.isRunning(),
      `containerd of ${this.name}`,
    );
  }

  /** Runs `ctr` against this node's containerd in the k8s.io namespace (where the CRI looks). */
  async ctr(args: readonly string[]): Promise<string> {
    const { stdout } = await run("ctr", ["--address", this.paths.containerdSocket, "-n", "k8s.io", ...args], {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  private async importImages(): Promise<void> {
    for (const archive of this.options.images) {
      this.log(`importing ${archive}`);
      await this.ctr(["images", "import", "--no-unpack=false", archive]).catch((err: unknown) => {
        throw new Error(`could not import ${archive} into ${this.name}'s containerd: ${String(err)}`);
      });
    }
  }

  private async startKubelet(): Promise<void> {
    this.log("starting kubelet");
    const { address } = this.options;
    const cmd = this.options.network.wrap(binary("kubelet"), [
      `--config=${this.paths.kubeletConfig}`,
      `--kubeconfig=${this.paths.kubeletKubeconfig}`,
      `--root-dir=${this.paths.kubeletRoot}`,
      `--cert-dir=${join(this.paths.dir, "kubelet-pki")}`,
      `--node-ip=${address.ip}`,
      `--hostname-override=${address.name}`,
      "--v=1",
    ]);
    this.kubelet = spawnTied("kubelet", cmd.command, cmd.args, this.logFile("kubelet"));
  }

  processIds(): number[] {
    return [this.containerd, this.kubelet].filter((p) => p?.isRunning() === true).map((p) => p!.pid);
  }

  isRunning(): boolean {
    return this.kubelet?.isRunning() === true && this.containerd?.isRunning() === true;
  }

  /**
   * Stops the kubelet, kills every container of this node, stops containerd,
   * then removes what they left on the host: mounts under the node's
   * directory, and its cgroup subtree.
   */
  async stop(): Promise<void> {
    await this.kubelet?.stop(10_000);
    if (this.containerd?.isRunning() === true) await this.killContainers();
    await this.containerd?.stop(10_000);
    await releaseHostResources(this.paths.dir, this.paths.cgroupRoot);
  }

  private async killContainers(): Promise<void> {
    const tasks = await this.ctr(["tasks", "ls", "-q"]).catch(() => "");
    for (const id of tasks.split("\n").filter((l) => l.trim() !== "")) {
      await this.ctr(["tasks", "kill", "-s", "SIGKILL", "--all", id]).catch(() => undefined);
      await this.ctr(["tasks", "delete", "-f", id]).catch(() => undefined);
    }
    const containers = await this.ctr(["containers", "ls", "-q"]).catch(() => "");
    for (const id of containers.split("\n").filter((l) => l.trim() !== ""))
      await this.ctr(["containers", "delete", id]).catch(() => undefined);
  }

  /** Removes the node's directory (after {@link KubeNode.stop}). */
  async removeDir(): Promise<void> {
    await rm(this.paths.dir, { recursive: true, force: true });
  }
}
