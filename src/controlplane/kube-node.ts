import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, readlink, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { binary } from "./paths.js";
import { issueClientCert, issueServingCert, type ControlPlaneCerts } from "./certs.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { APISERVER_NODE_PORT, type NodeAddress, type NodeNetwork } from "./node-network.js";
import { cniConfList, containerdConfig, kubeletConfig, type NodePaths } from "./node-config.js";
import { spawnTied, type TiedProcess } from "./tied-process.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);

/** The Debian packages a node needs (installed by tools/node-packages.sh). */
export const NODE_COMMANDS = ["containerd", "ctr", "runc", "nsenter", "iptables", "ip"] as const;

const CGROUP_FS = "/sys/fs/cgroup";

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

/** The cgroup v1 hierarchies mounted on this host (cpu, memory, ..., name=systemd). */
async function cgroupHierarchies(): Promise<string[]> {
  const entries = await readdir(CGROUP_FS, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.includes(",")).map((e) => join(CGROUP_FS, e.name));
}

/** Removes a cgroup subtree bottom-up (a cgroup directory goes only once its children are gone). */
async function removeCgroupTree(path: string): Promise<void> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => null);
  if (entries === null) return;
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(join(path, e.name));
  await rmdir(path).catch(() => undefined);
}

/** Removes a cgroup subtree from every hierarchy (the nodes' shared prefix, once they are stopped). */
export async function removeCgroups(path: string): Promise<void> {
  for (const h of await cgroupHierarchies()) await removeCgroupTree(join(h, path));
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    // mountinfo escapes spaces and such as octal (\040).
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
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
    for (const h of await cgroupHierarchies()) await mkdir(join(h, paths.cgroupRoot), { recursive: true });
  }

  private async startContainerd(): Promise<void> {
    this.log("starting containerd");
    const cmd = this.options.network.wrap("containerd", [
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
    await this.killCgroupProcesses();
    await this.unmountAll();
    await this.removeContainerLogLinks();
    await removeCgroups(this.paths.cgroupRoot);
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

  /** SIGKILLs any process still in the node's cgroups (containers whose shim died first). */
  private async killCgroupProcesses(): Promise<void> {
    const pids = new Set<number>();
    const collect = async (path: string): Promise<void> => {
      const entries = await readdir(path, { withFileTypes: true }).catch(() => null);
      if (entries === null) return;
      const procs = await readFile(join(path, "cgroup.procs"), "utf8").catch(() => "");
      for (const p of procs.split("\n").filter((l) => l !== "")) pids.add(Number(p));
      for (const e of entries) if (e.isDirectory()) await collect(join(path, e.name));
    };
    for (const h of await cgroupHierarchies()) await collect(join(h, this.paths.cgroupRoot));
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    // A killed process leaves its cgroup only once reaped; give the kernel a moment.
    if (pids.size > 0) await new Promise((r) => setTimeout(r, 500));
  }

  private async unmountAll(): Promise<void> {
    const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
    for (const point of mountsUnder(mountinfo, this.paths.dir))
      await run("umount", ["-l", point]).catch(() => undefined);
  }

  /**
   * kubelet links every container log from the host's /var/log/containers (a
   * fixed path); links into this node's directory are ours to remove.
   */
  private async removeContainerLogLinks(): Promise<void> {
    const dir = "/var/log/containers";
    for (const name of await readdir(dir).catch(() => [])) {
      const target = await readlink(join(dir, name)).catch(() => "");
      if (target.startsWith(`${this.paths.dir}/`)) await rm(join(dir, name), { force: true });
    }
  }

  /** Removes the node's directory (after {@link KubeNode.stop}). */
  async removeDir(): Promise<void> {
    await rm(this.paths.dir, { recursive: true, force: true });
  }
}
