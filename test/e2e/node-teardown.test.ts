import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlPlane } from "../../tools/cluster/controlplane.js";
import { nodeImageArchives } from "../../tools/cluster/node-images.js";
import { sweepStaleNodeClusters } from "../../tools/cluster/stale-clusters.js";
import { kubectl } from "../harness/cluster.js";
import { eventually } from "../harness/operator.js";

const NODE_MOUNT_PLACES = [
  join(tmpdir(), "maie-controlplane-"),
  "/run/netns",
  "/var/run/netns",
  "/var/lib/kubelet",
  "/var/lib/containerd",
  "/run/containerd",
];

/**
 * The entries of `dir`, none when it does not exist: on a fresh host no
 * kubelet has created /var/log/containers yet, and ours never creates
 * /var/log/pods (its pod logs go under the cluster's directory).
 */
function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return path;
  }
}

/**
 * What a node could leave on the host, as comparable text; the e2e project's
 * own cluster (running beside this one) is left out by its directory and
 * namespace names.
 */
type HostState = Record<
  "netns" | "links" | "mounts" | "cgroups" | "iptables" | "containerLogLinks" | "podLogs" | "processes",
  string[]
>;

function hostState(): HostState {
  const shared = [process.env["MAIE_E2E_CLUSTER_DIR"], process.env["MAIE_E2E_NETNS"]].filter(
    (s): s is string => s !== undefined && s !== "",
  );
  const ours = (l: string) => !shared.some((s) => l.includes(s));
  const lines = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#") && ours(l));
  return {
    netns: lines("ip", ["netns", "list"]),
    // "N: name: ..." compares by name; a line of another shape compares whole.
    links: lines("ip", ["-o", "link", "show"]).map((l) => (l.split(":")[1] ?? l).trim()),
    mounts: readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[4] ?? "")
      // Where a node mounts (cluster dirs, netns files, the runtimes' default
      // roots); other tests on the machine mount and unmount elsewhere.
      .filter((p) => NODE_MOUNT_PLACES.some((place) => p.startsWith(place)) && ours(p)),
    cgroups: readdirSync("/sys/fs/cgroup/memory").filter((d) => d.startsWith("maie-") && ours(d)),
    iptables: lines("iptables-save", []).filter((l) => !l.startsWith(":")),
    // Links are named after pods; whose they are shows in where they point.
    containerLogLinks: entriesOf("/var/log/containers").filter((n) =>
      ours(readlinkSafe(join("/var/log/containers", n))),
    ),
    podLogs: entriesOf("/var/log/pods").filter(ours),
    // A zombie ("<defunct>") holds no mount, cgroup or socket, only a pid entry that its
    // parent reaps on its own schedule: one left by an earlier test file was reaped mid-test
    // and failed CI. Live processes are what a leak looks like.
    processes: lines("ps", ["-eo", "args"]).filter(
      (a) => /\b(kubelet|containerd|netns-proxy|containerd-shim)\b/.test(a) && !a.includes("<defunct>"),
    ),
  };
}

describe("the node harness", () => {
  test("a one-node cluster runs a pod and, stopped, leaves no process, mount, cgroup, interface or iptables rule", async () => {
    const before = hostState();
    const started = Date.now();
    const cp = await ControlPlane.start({ nodes: 1, images: nodeImageArchives() });
    process.stderr.write(`one-node cluster Ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    try {
      const pod = JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "probe" },
        spec: {
          restartPolicy: "Never",
          containers: [
            { name: "c", image: "localhost/maie:dev", imagePullPolicy: "Never", args: ["--help"] },
          ],
        },
      });
      expect((await kubectl(cp.kubeconfigPath, ["apply", "-f", "-"], pod)).code).toBe(0);
      const waited = await kubectl(cp.kubeconfigPath, [
        "wait",
        "--for=jsonpath={.status.phase}=Succeeded",
        "pod/probe",
        "--timeout=120s",
      ]);
      expect(waited.code).toBe(0);
      const logs = await kubectl(cp.kubeconfigPath, ["logs", "probe"]);
      expect(logs.stdout).toMatch(/maie/i);
      expect(hostState().netns.some((n) => n.startsWith(cp.netns!))).toBe(true);
    } finally {
      await cp.stop({ removeDir: true });
    }
    expect(hostState()).toEqual(before);
  });

  test("a cluster whose owner was SIGKILLed is swept by the next start: again nothing is left", async () => {
    const before = hostState();
    const child = spawn(process.execPath, ["dist/test/harness/orphan-node-cluster.js"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("exit", (code) =>
        reject(new Error(`the cluster process exited ${code} before it was ready`)),
      );
    });
    const { netns } = JSON.parse(line) as { netns: string; dir: string };
    child.kill("SIGKILL");
    // The tied-process guards stop kubelet and containerd within seconds; the
    // shims they orphaned, the namespace, mounts and cgroups stay behind.
    const ownProcess = (a: string) =>
      /\b(kubelet|containerd|netns-proxy)\b/.test(a) && !a.includes("containerd-shim");
    const baseline = before.processes.filter(ownProcess).length;
    await eventually(
      async () => (hostState().processes.filter(ownProcess).length === baseline ? true : undefined),
      60_000,
      "the killed cluster's kubelet and containerd gone",
    );
    expect(hostState().netns.some((n) => n.startsWith(netns))).toBe(true);
    expect(await sweepStaleNodeClusters()).toEqual([netns]);
    expect(hostState()).toEqual(before);
  });
});
