import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { spawnTied, type TiedProcess } from "./tied-process.js";
import { waitFor } from "./wait.js";
import { existsSync } from "node:fs";

const run = promisify(execFile);

/** The Service IP of `kubernetes.default` (first address of the apiserver's service range). */
export const KUBERNETES_SERVICE_IP = "10.0.0.1";
/** Where kube-apiserver answers inside the node network (a forwarder to the host's loopback). */
export const APISERVER_NODE_PORT = 6443;

/** One node's place on the node network. */
export interface NodeAddress {
  readonly name: string;
  /** The node's InternalIP: the address of its pod bridge. */
  readonly ip: string;
  readonly podSubnet: string;
  readonly bridge: string;
}

/** Node k (1-based) owns 10.244.k.0/24; its bridge holds .1, its pods the rest (pure). */
export function nodeAddress(index: number): NodeAddress {
  if (!Number.isInteger(index) || index < 1 || index > 200)
    throw new Error(`node index ${index} out of 1..200`);
  return {
    name: `maie-node-${index}`,
    ip: `10.244.${index}.1`,
    podSubnet: `10.244.${index}.0/24`,
    bridge: `maiebr${index}`,
  };
}

async function sh(command: string, args: readonly string[]): Promise<string> {
  try {
    return (await run(command, [...args], { encoding: "utf8" })).stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr.trim() || String(err)}`, { cause: err });
  }
}

/**
 * A network namespace the harness creates for its nodes, so no node address
 * is ever added to the host: the host reaches nothing on it directly, and
 * traffic stays on loopback or inside this namespace. Each node gets a bridge
 * (its CNI bridge) whose address is the node IP. Pods reach kube-apiserver at
 * the `kubernetes` Service IP through one DNAT rule inside the namespace, the
 * job kube-proxy would do for that one Service.
 */
export class NodeNetwork {
  private hostProxy: TiedProcess | undefined;
  private netnsProxy: TiedProcess | undefined;

  private constructor(
    readonly netns: string,
    readonly dir: string,
  ) {}

  get netnsPath(): string {
    return `/run/netns/${this.netns}`;
  }

  /** The unix socket kube-apiserver's egress selector dials kubelets through. */
  get egressSocket(): string {
    return join(this.dir, "egress.sock");
  }

  private get apiserverSocket(): string {
    return join(this.dir, "apiserver.sock");
  }

  /** Creates the namespace (no node yet); tear it down with {@link NodeNetwork.destroy}. */
  static async create(dir: string): Promise<NodeNetwork> {
    const net = new NodeNetwork(`maie-${randomBytes(4).toString("hex")}`, dir);
    await sh("ip", ["netns", "add", net.netns]);
    try {
      await sh("ip", ["-n", net.netns, "link", "set", "lo", "up"]);
      await net.exec("sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
    } catch (err) {
      await net.destroy();
      throw err;
    }
    return net;
  }

  /** Runs a command inside the namespace (network only: the mount namespace stays the host's). */
  exec(command: string, args: readonly string[]): Promise<string> {
    return sh("nsenter", [`--net=${this.netnsPath}`, "--", command, ...args]);
  }

  /** The argv prefix that starts a long-running process inside the namespace. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] } {
    return { command: "nsenter", args: [`--net=${this.netnsPath}`, "--", command, ...args] };
  }

  /** Adds a node's bridge with the node IP on it. */
  async addNode(node: NodeAddress): Promise<void> {
    await sh("ip", ["-n", this.netns, "link", "add", node.bridge, "type", "bridge"]);
    await sh("ip", ["-n", this.netns, "addr", "add", `${node.ip}/24`, "dev", node.bridge]);
    await sh("ip", ["-n", this.netns, "link", "set", node.bridge, "up"]);
  }

  /**
   * Starts the two forwarders (host loopback <-> node network, meeting at unix
   * sockets) and the `kubernetes` Service DNAT towards `firstNodeIp`.
   */
  async connectApiserver(apiserverPort: number, firstNodeIp: string, logDir: string): Promise<void> {
    const script = fileURLToPath(new URL("./netns-proxy.js", import.meta.url));
    this.hostProxy = spawnTied(
      "netns-proxy (host)",
      process.execPath,
      [script, "--unix-to-tcp", `${this.apiserverSocket}=127.0.0.1:${apiserverPort}`],
      join(logDir, "netns-proxy-host.log"),
    );
    const inside = this.wrap(process.execPath, [
      script,
      "--tcp-to-unix",
      `0.0.0.0:${APISERVER_NODE_PORT}=${this.apiserverSocket}`,
      "--connect-proxy",
      this.egressSocket,
    ]);
    this.netnsProxy = spawnTied(
      "netns-proxy (node network)",
      inside.command,
      inside.args,
      join(logDir, "netns-proxy-netns.log"),
    );
    const proxies = [this.hostProxy, this.netnsProxy];
    await waitFor(
      () => existsSync(this.apiserverSocket) && existsSync(this.egressSocket),
      10_000,
      () => proxies.every((p) => p.isRunning()),
      "the node-network forwarders",
    );
    for (const chain of ["PREROUTING", "OUTPUT"]) {
      await this.exec("iptables", [
        "-t",
        "nat",
        "-A",
        chain,
        "-d",
        `${KUBERNETES_SERVICE_IP}/32`,
        "-p",
        "tcp",
        "--dport",
        "443",
        "-j",
        "DNAT",
        "--to-destination",
        `${firstNodeIp}:${APISERVER_NODE_PORT}`,
      ]);
    }
  }

  processIds(): number[] {
    return [this.hostProxy, this.netnsProxy].filter((p) => p?.isRunning() === true).map((p) => p!.pid);
  }

  /** Stops the forwarders and deletes the namespace, with every bridge, veth and rule in it. */
  async destroy(): Promise<void> {
    await this.netnsProxy?.stop(3_000);
    await this.hostProxy?.stop(3_000);
    await sh("ip", ["netns", "del", this.netns]).catch(() => undefined);
  }
}

/** Where pods reach a local S3 server forwarded into the node network (the demo's, the e2e tests'). */
export const NODE_S3_PORT = 18333;
/** Where pods reach a local MLflow tracking server forwarded into the node network. */
export const NODE_MLFLOW_PORT = 15000;

/**
 * Makes a server on the host's loopback (`127.0.0.1:hostPort`, e.g. a test's
 * S3 server) reachable from the nodes and their pods at any node IP on
 * `nodePort`: the apiserver's two forwarders, for one more port. The host
 * still gets no address on the node network.
 */
export async function forwardIntoNodeNetwork(
  netns: string,
  dir: string,
  hostPort: number,
  nodePort: number,
): Promise<{ stop(): Promise<void> }> {
  const script = fileURLToPath(new URL("./netns-proxy.js", import.meta.url));
  const socket = join(dir, `forward-${hostPort}.sock`);
  const host = spawnTied(
    `forward :${hostPort} (host)`,
    process.execPath,
    [script, "--unix-to-tcp", `${socket}=127.0.0.1:${hostPort}`],
    join(dir, `forward-${hostPort}-host.log`),
  );
  const inside = spawnTied(
    `forward :${nodePort} (node network)`,
    "nsenter",
    [
      `--net=/run/netns/${netns}`,
      "--",
      process.execPath,
      script,
      "--tcp-to-unix",
      `0.0.0.0:${nodePort}=${socket}`,
    ],
    join(dir, `forward-${hostPort}-netns.log`),
  );
  const stop = async () => {
    await inside.stop(3_000);
    await host.stop(3_000);
  };
  try {
    await waitFor(
      () => existsSync(socket),
      10_000,
      () => host.isRunning() && inside.isRunning(),
      "the forwarders",
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
