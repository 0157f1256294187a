import { parse } from "yaml";
import { nodeAddress } from "../../../tools/cluster/node-network.js";
import { parseProxyArgs } from "../../../tools/cluster/netns-proxy.js";
import {
  cniConfList,
  containerdConfig,
  kubeletConfig,
  type NodePaths,
} from "../../../tools/cluster/node-config.js";
import { mountsUnder } from "../../../tools/cluster/host-cleanup.js";
import { localPersistentVolume, planLocalVolumes } from "../../../tools/cluster/local-volumes.js";
import { nodeSchedulable } from "../../../tools/cluster/node-status.js";

const paths: NodePaths = {
  dir: "/tmp/cp/nodes/maie-node-1",
  containerdRoot: "/tmp/cp/nodes/maie-node-1/containerd/root",
  containerdState: "/tmp/cp/nodes/maie-node-1/containerd/state",
  containerdSocket: "/tmp/cp/nodes/maie-node-1/containerd/containerd.sock",
  cniConfDir: "/tmp/cp/nodes/maie-node-1/cni",
  kubeletRoot: "/tmp/cp/nodes/maie-node-1/kubelet",
  kubeletConfig: "/tmp/cp/nodes/maie-node-1/kubelet-config.yaml",
  kubeletKubeconfig: "/tmp/cp/nodes/maie-node-1/kubelet.kubeconfig",
  cgroupRoot: "/maie-x/maie-node-1",
};

describe("node addresses", () => {
  test("node k owns 10.244.k.0/24 and its bridge holds .1", () => {
    expect(nodeAddress(2)).toEqual({
      name: "maie-node-2",
      ip: "10.244.2.1",
      podSubnet: "10.244.2.0/24",
      bridge: "maiebr2",
    });
  });
  test.each([0, -1, 1.5, 201])("index %p is refused", (i) => {
    expect(() => nodeAddress(i)).toThrow(/out of 1\.\.200/);
  });
});

describe("netns-proxy arguments", () => {
  test("each flag becomes one listener", () => {
    expect(
      parseProxyArgs([
        "--unix-to-tcp",
        "/d/api.sock=127.0.0.1:6443",
        "--tcp-to-unix",
        "0.0.0.0:6443=/d/api.sock",
        "--connect-proxy",
        "/d/egress.sock",
      ]),
    ).toEqual({
      unixToTcp: [{ socket: "/d/api.sock", host: "127.0.0.1", port: 6443 }],
      tcpToUnix: [{ host: "0.0.0.0", port: 6443, socket: "/d/api.sock" }],
      connectProxy: ["/d/egress.sock"],
    });
  });
  test.each([
    [["--unix-to-tcp", "/d/api.sock"], /expected A=B/],
    [["--unix-to-tcp", "/d/api.sock=127.0.0.1:99999"], /HOST:PORT/],
    [["--connect-proxy"], /needs a value/],
    [["--listen", "x"], /unknown option/],
  ])("%p is refused", (argv, message) => {
    expect(() => parseProxyArgs(argv)).toThrow(message);
  });
});

describe("node configuration files", () => {
  const node = nodeAddress(1);
  test("containerd: private root, state and socket; runc with cgroupfs; netns under state; no negative oom_score_adj", () => {
    const toml = containerdConfig(paths);
    expect(toml).toContain(`root = "${paths.containerdRoot}"`);
    expect(toml).toContain(`state = "${paths.containerdState}"`);
    expect(toml).toContain(`address = "${paths.containerdSocket}"`);
    expect(toml).toContain("SystemdCgroup = false");
    expect(toml).toContain('BinaryName = "runc"');
    expect(toml).toContain("restrict_oom_score_adj = true");
    expect(toml).toContain("netns_mounts_under_state_dir = true");
    expect(toml).toContain(`conf_dir = "${paths.cniConfDir}"`);
  });
  test("CNI: the node's bridge and subnet, gateway = node IP, no masquerade, leases under the node dir", () => {
    const conf = JSON.parse(cniConfList(node, paths)) as {
      plugins: {
        type: string;
        bridge: string;
        ipMasq: boolean;
        ipam: { ranges: unknown; dataDir: string };
      }[];
    };
    const bridge = conf.plugins[0]!;
    expect(bridge).toMatchObject({ type: "bridge", bridge: "maiebr1", ipMasq: false });
    expect(bridge.ipam.ranges).toEqual([[{ subnet: "10.244.1.0/24", gateway: "10.244.1.1" }]]);
    expect(bridge.ipam.dataDir.startsWith(paths.dir)).toBe(true);
  });
  test("kubelet: bound to the node IP, webhook auth, cgroupfs under the node's cgroup root, no iptables chains", () => {
    const config = parse(
      kubeletConfig({ paths, node, caCert: "/ca.crt", servingCert: "/s.crt", servingKey: "/s.key" }),
    ) as Record<string, unknown>;
    expect(config).toMatchObject({
      kind: "KubeletConfiguration",
      address: "10.244.1.1",
      healthzBindAddress: "10.244.1.1",
      readOnlyPort: 0,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true } },
      authorization: { mode: "Webhook" },
      cgroupDriver: "cgroupfs",
      cgroupRoot: "/maie-x/maie-node-1",
      failCgroupV1: false,
      makeIPTablesUtilChains: false,
      containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    });
  });
});

describe("teardown helpers", () => {
  test("mountsUnder lists mounts at or below the dir, deepest first, unescaped", () => {
    const mountinfo = [
      "22 1 0:21 / / rw - ext4 /dev/vda rw",
      "30 22 0:40 / /tmp/cp/nodes/maie-node-1/kubelet/pods/a/volumes/x rw - tmpfs tmpfs rw",
      "31 22 0:41 / /tmp/cp/nodes/maie-node-1/containerd/state/io.containerd.runtime.v2.task/k8s.io/b/rootfs rw - overlay overlay rw",
      "32 22 0:42 / /tmp/cp/nodes/maie-node-10 rw - tmpfs tmpfs rw",
      "33 22 0:43 / /tmp/cp/nodes/maie-node-1/with\\040space rw - tmpfs tmpfs rw",
    ].join("\n");
    expect(mountsUnder(mountinfo, "/tmp/cp/nodes/maie-node-1")).toEqual([
      "/tmp/cp/nodes/maie-node-1/containerd/state/io.containerd.runtime.v2.task/k8s.io/b/rootfs",
      "/tmp/cp/nodes/maie-node-1/kubelet/pods/a/volumes/x",
      "/tmp/cp/nodes/maie-node-1/with space",
    ]);
  });
});

describe("local volumes", () => {
  test("each node gets its volumes, pinned to it by node affinity, in the default class", () => {
    const volumes = planLocalVolumes(
      [
        { name: "maie-node-1", dir: "/n1" },
        { name: "maie-node-2", dir: "/n2" },
      ],
      2,
    );
    expect(volumes.map((v) => v.name)).toEqual([
      "maie-node-1-pv-1",
      "maie-node-1-pv-2",
      "maie-node-2-pv-1",
      "maie-node-2-pv-2",
    ]);
    expect(localPersistentVolume(volumes[2]!)).toMatchObject({
      spec: {
        storageClassName: "maie-local",
        local: { path: "/n2/volumes/pv-1" },
        nodeAffinity: {
          required: { nodeSelectorTerms: [{ matchExpressions: [{ values: ["maie-node-2"] }] }] },
        },
      },
    });
  });
});

describe("node readiness", () => {
  const ready = { metadata: { name: "n" }, status: { conditions: [{ type: "Ready", status: "True" }] } };
  test("Ready and untainted is schedulable", () => expect(nodeSchedulable(ready)).toBe(true));
  test("a not-ready taint still blocks", () =>
    expect(nodeSchedulable({ ...ready, spec: { taints: [{ key: "node.kubernetes.io/not-ready" }] } })).toBe(
      false,
    ));
  test("NotReady is not schedulable", () =>
    expect(
      nodeSchedulable({
        metadata: { name: "n" },
        status: { conditions: [{ type: "Ready", status: "False" }] },
      }),
    ).toBe(false));
});
