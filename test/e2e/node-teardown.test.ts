import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { ControlPlane } from "../../src/controlplane/controlplane.js";
import { nodeImageArchives } from "../../src/controlplane/node-images.js";
import { kubectl } from "../harness/cluster.js";

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
function hostState(): Record<string, string[]> {
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
    links: lines("ip", ["-o", "link", "show"]).map((l) => l.split(":")[1]!.trim()),
    mounts: readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[4] ?? "")
      .filter((p) => p !== "" && ours(p)),
    cgroups: readdirSync("/sys/fs/cgroup/memory").filter((d) => d.startsWith("maie-") && ours(d)),
    iptables: lines("iptables-save", []).filter((l) => !l.startsWith(":")),
    // Links are named after pods; whose they are shows in where they point.
    containerLogLinks: readdirSync("/var/log/containers").filter((n) =>
      ours(readlinkSafe(join("/var/log/containers", n))),
    ),
    podLogs: readdirSync("/var/log/pods").filter(ours),
    processes: lines("ps", ["-eo", "args"]).filter((a) =>
      /\b(kubelet|containerd|netns-proxy|containerd-shim)\b/.test(a),
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
});
