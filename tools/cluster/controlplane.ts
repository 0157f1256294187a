import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { stringify } from "yaml";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binary } from "./paths.js";
import { generateCerts, type ControlPlaneCerts } from "./certs.js";
import { freePort } from "./ports.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { spawnTied, type TiedProcess } from "./tied-process.js";
import { waitHealthy, waitHttpHealthy } from "./wait.js";
import { KubeNode } from "./kube-node.js";
import { removeCgroups } from "./host-cleanup.js";
import { registerNodeCluster, sweepStaleNodeClusters, unregisterNodeCluster } from "./stale-clusters.js";
import { nodeAddress, NodeNetwork } from "./node-network.js";
import { waitNodesReady } from "./node-ready.js";
import { installLocalVolumes, planLocalVolumes } from "./local-volumes.js";
import { RestClient } from "../../src/kube/rest.js";

/**
 * A real Kubernetes control plane on loopback for tests, the demo and people:
 * etcd + kube-apiserver (RBAC on, service-account tokens, client-cert admin)
 * and, optionally, kube-controller-manager for garbage collection and
 * Deployment/ReplicaSet/Job status, and real nodes: kube-scheduler plus, per
 * node, containerd + runc + CNI + kubelet in a network namespace of ours
 * (docs/real-node.md). Every process is tied to ours and dies with it. Like
 * controller-runtime's envtest, but from Go modules we build.
 */

export interface ControlPlaneOptions {
  /** Directory for certs, logs and etcd data; a fresh temp dir by default. */
  readonly dir?: string;
  /** Also run kube-controller-manager (GC, Deployment and Job controllers). */
  readonly controllerManager?: boolean;
  /** kube-apiserver --max-requests-inflight (fault tests throttle with a low value). */
  readonly maxRequestsInflight?: number;
  /** kube-apiserver --watch-cache (default true); off, watches go straight to etcd and see its compaction. */
  readonly watchCache?: boolean;
  /** Real nodes to run (0: none, the default). Needs root; implies the controller manager. */
  readonly nodes?: number;
  /** Image archives imported into every node's containerd (the pause image first). */
  readonly images?: readonly string[];
  readonly log?: (message: string) => void;
}

/** Local volumes made per node: the data and backups claims of a few resources. */
const VOLUMES_PER_NODE = 8;

export class ControlPlane {
  private etcd: TiedProcess | undefined;
  private apiserver: TiedProcess | undefined;
  private kcm: TiedProcess | undefined;
  private scheduler: TiedProcess | undefined;
  private network: NodeNetwork | undefined;
  private readonly kubeNodes: KubeNode[] = [];

  private constructor(
    readonly dir: string,
    readonly certs: ControlPlaneCerts,
    readonly server: string,
    readonly kubeconfigPath: string,
    private readonly ports: {
      etcdClient: number;
      etcdPeer: number;
      apiserver: number;
      kcm: number;
      scheduler: number;
    },
    private readonly options: ControlPlaneOptions,
  ) {}

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const log = options.log ?? (() => undefined);
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "maie-controlplane-")));
    await mkdir(join(dir, "logs"), { recursive: true });
    // Fail before doing anything if a binary is missing: the message says how to build it.
    binary("etcd");
    binary("kube-apiserver");
    const nodeCount = options.nodes ?? 0;
    if (options.controllerManager === true || nodeCount > 0) binary("kube-controller-manager");
    if (nodeCount > 0) {
      binary("kube-scheduler");
      binary("kubelet");
    }

    log("generating certificates");
    const certs = await generateCerts(dir);
    const ports = {
      etcdClient: await freePort(),
      etcdPeer: await freePort(),
      apiserver: await freePort(),
      kcm: await freePort(),
      scheduler: await freePort(),
    };
    const server = `https://127.0.0.1:${ports.apiserver}`;
    const kubeconfigPath = join(dir, "admin.kubeconfig");
    await writeFile(
      kubeconfigPath,
      renderKubeconfig({
        server,
        caCert: certs.caCert,
        user: { name: "maie-admin", clientCert: certs.adminCert, clientKey: certs.adminKey },
      }),
    );
    const cp = new ControlPlane(dir, certs, server, kubeconfigPath, ports, options);
    try {
      await cp.startEtcd();
      await cp.startApiserver();
      if (options.controllerManager === true || nodeCount > 0) await cp.startControllerManager();
      if (nodeCount > 0) await cp.startNodes(nodeCount);
    } catch (err) {
      await cp.stop();
      throw err;
    }
    return cp;
  }

  private get nodeCount(): number {
    return this.options.nodes ?? 0;
  }

  private get nodeNetworkDir(): string {
    return join(this.dir, "node-network");
  }

  private log(message: string): void {
    this.options.log?.(message);
  }

  private logFile(name: string): string {
    return join(this.dir, "logs", `${name}.log`);
  }

  async startEtcd(): Promise<void> {
    this.log("starting etcd");
    const url = `http://127.0.0.1:${this.ports.etcdClient}`;
    this.etcd = spawnTied(
      "etcd",
      binary("etcd"),
      [
        `--data-dir=${join(this.dir, "etcd")}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=http://127.0.0.1:${this.ports.etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${this.ports.etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${this.ports.etcdPeer}`,
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      this.logFile("etcd"),
    );
    const etcd = this.etcd;
    await waitHttpHealthy(`${url}/health`, 30_000, () => etcd.isRunning(), "etcd");
  }

  async startApiserver(): Promise<void> {
    this.log("starting kube-apiserver");
    const c = this.certs;
    this.apiserver = spawnTied(
      "kube-apiserver",
      binary("kube-apiserver"),
      [
        `--etcd-servers=http://127.0.0.1:${this.ports.etcdClient}`,
        `--cert-dir=${this.dir}`,
        `--tls-cert-file=${c.servingCert}`,
        `--tls-private-key-file=${c.servingKey}`,
        `--client-ca-file=${c.caCert}`,
        `--secure-port=${this.ports.apiserver}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        "--service-cluster-ip-range=10.0.0.0/16",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${c.saPub}`,
        `--service-account-signing-key-file=${c.saKey}`,
        "--allow-privileged=true",
        ...(this.nodeCount > 0
          ? await this.nodeApiserverFlags()
          : ["--authorization-mode=RBAC", "--disable-admission-plugins=ServiceAccount"]),
        `--max-requests-inflight=${this.options.maxRequestsInflight ?? 400}`,
        "--endpoint-reconciler-type=none",
        `--watch-cache=${this.options.watchCache ?? true}`,
        "--v=0",
      ],
      this.logFile("kube-apiserver"),
    );
    const apiserver = this.apiserver;
    await waitHealthy(
      `${this.server}/readyz`,
      { ca: c.caCert, cert: c.adminCert, key: c.adminKey },
      90_000,
      () => apiserver.isRunning(),
      "kube-apiserver",
    );
  }

  async startControllerManager(): Promise<void> {
    this.log("starting kube-controller-manager");
    const c = this.certs;
    this.kcm = spawnTied(
      "kube-controller-manager",
      binary("kube-controller-manager"),
      [
        `--kubeconfig=${this.kubeconfigPath}`,
        `--authentication-kubeconfig=${this.kubeconfigPath}`,
        `--authorization-kubeconfig=${this.kubeconfigPath}`,
        `--secure-port=${this.ports.kcm}`,
        "--bind-address=127.0.0.1",
        `--tls-cert-file=${c.servingCert}`,
        `--tls-private-key-file=${c.servingKey}`,
        "--leader-elect=false",
        `--service-account-private-key-file=${c.saKey}`,
        `--root-ca-file=${c.caCert}`,
        "--use-service-account-credentials=false",
        // nodelifecycle lifts a Ready node's not-ready taint; without nodes it has nothing to do.
        `--controllers=*,-nodeipam,${this.nodeCount > 0 ? "" : "-nodelifecycle,"}-cloud-node-lifecycle,-service-lb-controller,-route,-attachdetach,-persistentvolume-expander,-ttl,-bootstrapsigner,-tokencleaner`,
        "--concurrent-gc-syncs=5",
        "--v=0",
      ],
      this.logFile("kube-controller-manager"),
    );
    const kcm = this.kcm;
    await waitHealthy(
      `https://127.0.0.1:${this.ports.kcm}/healthz`,
      { ca: c.caCert, cert: c.adminCert, key: c.adminKey },
      60_000,
      () => kcm.isRunning(),
      "kube-controller-manager",
    );
  }

  /**
   * What kube-apiserver needs to serve nodes: the Node authorizer and
   * NodeRestriction for kubelet identities, service-account tokens in pods,
   * a client certificate towards kubelets, and an egress selector that sends
   * its cluster-bound traffic (logs, exec, port-forward) through the node
   * network's CONNECT proxy, since the host has no address there.
   */
  private async nodeApiserverFlags(): Promise<string[]> {
    const c = this.certs;
    const egressConfig = join(this.dir, "egress-selector.yaml");
    await mkdir(this.nodeNetworkDir, { recursive: true });
    await writeFile(
      egressConfig,
      stringify({
        apiVersion: "apiserver.k8s.io/v1beta1",
        kind: "EgressSelectorConfiguration",
        egressSelections: [
          {
            name: "cluster",
            connection: {
              proxyProtocol: "HTTPConnect",
              transport: { uds: { udsName: join(this.nodeNetworkDir, "egress.sock") } },
            },
          },
        ],
      }),
    );
    return [
      "--authorization-mode=Node,RBAC",
      "--enable-admission-plugins=NodeRestriction",
      `--kubelet-client-certificate=${c.kubeletClientCert}`,
      `--kubelet-client-key=${c.kubeletClientKey}`,
      `--kubelet-certificate-authority=${c.caCert}`,
      "--kubelet-preferred-address-types=InternalIP,Hostname",
      `--egress-selector-config-file=${egressConfig}`,
    ];
  }

  async startScheduler(): Promise<void> {
    this.log("starting kube-scheduler");
    const c = this.certs;
    this.scheduler = spawnTied(
      "kube-scheduler",
      binary("kube-scheduler"),
      [
        `--kubeconfig=${this.kubeconfigPath}`,
        `--authentication-kubeconfig=${this.kubeconfigPath}`,
        `--authorization-kubeconfig=${this.kubeconfigPath}`,
        `--secure-port=${this.ports.scheduler}`,
        "--bind-address=127.0.0.1",
        `--tls-cert-file=${c.servingCert}`,
        `--tls-private-key-file=${c.servingKey}`,
        "--leader-elect=false",
        "--v=0",
      ],
      this.logFile("kube-scheduler"),
    );
    const scheduler = this.scheduler;
    await waitHealthy(
      `https://127.0.0.1:${this.ports.scheduler}/healthz`,
      { ca: c.caCert, cert: c.adminCert, key: c.adminKey },
      60_000,
      () => scheduler.isRunning(),
      "kube-scheduler",
    );
  }

  /** kube-scheduler, the node network, then each node; resolves when every node is Ready. */
  private async startNodes(count: number): Promise<void> {
    await this.startScheduler();
    await sweepStaleNodeClusters((m) => this.log(m));
    this.log("creating the node network (a network namespace of ours)");
    this.network = await NodeNetwork.create(this.nodeNetworkDir);
    await registerNodeCluster(this.network.netns, this.dir);
    const addresses = Array.from({ length: count }, (_, i) => nodeAddress(i + 1));
    for (const a of addresses) await this.network.addNode(a);
    await this.network.connectApiserver(this.ports.apiserver, addresses[0]!.ip, join(this.dir, "logs"));
    for (const address of addresses) {
      this.kubeNodes.push(
        await KubeNode.start({
          dir: join(this.dir, "nodes", address.name),
          address,
          network: this.network,
          certs: this.certs,
          images: this.options.images ?? [],
          cgroupPrefix: this.cgroupPrefix()!,
          log: (m) => this.log(m),
        }),
      );
    }
    await waitNodesReady(
      this.kubeconfigPath,
      addresses.map((a) => a.name),
      90_000,
      () => this.kubeNodes.every((n) => n.isRunning()),
    );
    this.log(`${count} node(s) Ready; creating the default StorageClass and local volumes`);
    const client = await RestClient.fromKubeconfigFile(this.kubeconfigPath);
    try {
      const volumes = planLocalVolumes(
        this.kubeNodes.map((n) => ({ name: n.name, dir: n.paths.dir })),
        VOLUMES_PER_NODE,
      );
      await installLocalVolumes(client, volumes);
    } finally {
      client.close();
    }
  }

  /** The cgroup subtree all nodes' pods live under: `/<netns name>`. */
  private cgroupPrefix(): string | undefined {
    return this.network === undefined ? undefined : `/${this.network.netns}`;
  }

  get nodes(): readonly KubeNode[] {
    return this.kubeNodes;
  }

  /** Process ids of etcd and kube-apiserver (their guard shells: the server is the child), for CPU accounting. */
  get serverPids(): { readonly etcd: number; readonly apiserver: number } {
    if (this.etcd === undefined || this.apiserver === undefined)
      throw new Error("the control plane is not running");
    return { etcd: this.etcd.pid, apiserver: this.apiserver.pid };
  }

  /** The node network's namespace name (undefined without nodes). */
  get netns(): string | undefined {
    return this.network?.netns;
  }

  /** Stops and starts kube-apiserver on the same port and etcd data (fault injection). */
  async restartApiserver(): Promise<void> {
    await this.apiserver?.stop();
    await this.startApiserver();
  }

  async killApiserver(): Promise<void> {
    await this.apiserver?.kill();
  }

  async restartEtcd(): Promise<void> {
    await this.etcd?.stop();
    await this.startEtcd();
  }

  /**
   * Compacts etcd's history up to now (fault tests: a watch resumed from an
   * older resourceVersion then gets 410 Gone, as after a long disconnection).
   */
  async compactEtcd(): Promise<number> {
    const base = `http://127.0.0.1:${this.ports.etcdClient}/v3/kv`;
    const range = (await (
      await fetch(`${base}/range`, {
        method: "POST",
        body: JSON.stringify({ key: Buffer.from("/").toString("base64") }),
      })
    ).json()) as { header: { revision: string } };
    const revision = Number(range.header.revision);
    const res = await fetch(`${base}/compaction`, {
      method: "POST",
      body: JSON.stringify({ revision, physical: true }),
    });
    if (!res.ok) throw new Error(`etcd compaction failed: ${res.status} ${await res.text()}`);
    return revision;
  }

  processIds(): number[] {
    return [
      ...[this.etcd, this.apiserver, this.kcm, this.scheduler]
        .filter((p): p is TiedProcess => p?.isRunning() === true)
        .map((p) => p.pid),
      ...this.kubeNodes.flatMap((n) => n.processIds()),
      ...(this.network?.processIds() ?? []),
    ];
  }

  async stop(options: { removeDir?: boolean } = {}): Promise<void> {
    for (const node of this.kubeNodes) await node.stop();
    const prefix = this.cgroupPrefix();
    if (prefix !== undefined) await removeCgroups(prefix);
    await this.network?.destroy();
    if (this.network !== undefined) await unregisterNodeCluster(this.network.netns);
    await this.scheduler?.stop(5_000);
    await this.kcm?.stop(5_000);
    await this.apiserver?.stop(10_000);
    await this.etcd?.stop(5_000);
    if (options.removeDir === true) await rm(this.dir, { recursive: true, force: true });
  }
}
