import { stringify } from "yaml";
import type { NodeAddress } from "./node-network.js";

/**
 * The configuration files of one node (containerd, CNI, kubelet), as pure
 * functions of its paths and address. What each setting is for is recorded
 * in docs/real-node.md; the few that are not defaults are explained here.
 */

export interface NodePaths {
  readonly dir: string;
  readonly containerdRoot: string;
  readonly containerdState: string;
  readonly containerdSocket: string;
  readonly cniConfDir: string;
  readonly kubeletRoot: string;
  readonly kubeletConfig: string;
  readonly kubeletKubeconfig: string;
  /** The node's own cgroup subtree (in every v1 hierarchy): removing it removes the node's. */
  readonly cgroupRoot: string;
}

export const PAUSE_IMAGE = "localhost/maie-pause:1";
export const CNI_BIN_DIR = "/usr/lib/cni";

/** containerd's config (TOML, version 2). */
export function containerdConfig(paths: NodePaths): string {
  return `version = 2
root = "${paths.containerdRoot}"
state = "${paths.containerdState}"
oom_score = 0

[grpc]
  address = "${paths.containerdSocket}"

[ttrpc]
  address = "${paths.containerdSocket}.ttrpc"

[debug]
  level = "warn"

[plugins."io.containerd.internal.v1.opt"]
  path = "${paths.containerdRoot}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  # Root lacks CAP_SYS_RESOURCE here: a negative oom_score_adj is refused.
  restrict_oom_score_adj = true
  # Pod network namespaces under our state dir, so teardown finds every mount.
  netns_mounts_under_state_dir = true
  max_container_log_line_size = 16384

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      # runc, not crun: crun refuses this host's cgroup v1/v2 hybrid.
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${paths.cniConfDir}"
    max_conf_num = 1
`;
}

/**
 * A bridge + host-local conflist: no masquerade (no iptables rules), the node
 * IP as gateway, and the address leases under the node's directory instead of
 * the host's /var/lib/cni.
 */
export function cniConfList(node: NodeAddress, paths: NodePaths): string {
  return JSON.stringify(
    {
      cniVersion: "0.4.0",
      name: `maie-${node.name}`,
      plugins: [
        {
          type: "bridge",
          bridge: node.bridge,
          isGateway: true,
          isDefaultGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: node.podSubnet, gateway: node.ip }]],
            dataDir: `${paths.dir}/cni-ipam`,
          },
        },
      ],
    },
    null,
    2,
  );
}

export interface KubeletConfigInput {
  readonly paths: NodePaths;
  readonly node: NodeAddress;
  readonly caCert: string;
  readonly servingCert: string;
  readonly servingKey: string;
}

/** KubeletConfiguration (kubelet.config.k8s.io/v1beta1) for a kubelet on this host. */
export function kubeletConfig(input: KubeletConfigInput): string {
  const { paths, node } = input;
  return stringify({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // Bound to the node IP, so several kubelets share the node network.
    address: node.ip,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: node.ip,
    healthzPort: 10248,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: input.caCert },
    },
    authorization: { mode: "Webhook" },
    tlsCertFile: input.servingCert,
    tlsPrivateKeyFile: input.servingKey,
    cgroupDriver: "cgroupfs",
    cgroupRoot: paths.cgroupRoot,
    containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    failSwapOn: false,
    // Kubernetes 1.35 turns cgroup v1 off by default; this host is v1 hybrid.
    failCgroupV1: false,
    // Otherwise kubelet adds KUBE-FIREWALL rules that drop non-loopback traffic to 127/8.
    makeIPTablesUtilChains: false,
    // A test host's disk is shared: never evict or garbage-collect images because of it.
    evictionHard: { "memory.available": "1Mi", "nodefs.available": "1%", "imagefs.available": "1%" },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    resolvConf: "/etc/resolv.conf",
    // Not the host's /var/log/pods: kubelets sharing a host delete each other's pod logs there.
    podLogsDir: `${paths.dir}/pod-logs`,
    podPidsLimit: 4096,
    // Fast feedback in tests: status every 2 s instead of 10 s.
    nodeStatusUpdateFrequency: "2s",
    syncFrequency: "5s",
    fileCheckFrequency: "5s",
    volumePluginDir: `${paths.kubeletRoot}/volume-plugins`,
    localStorageCapacityIsolation: true,
    shutdownGracePeriod: "0s",
  });
}
