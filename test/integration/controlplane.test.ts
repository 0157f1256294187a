import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { ControlPlane } from "../../tools/cluster/controlplane.js";
import { delay } from "../../tools/cluster/wait.js";
import { kubectl } from "../harness/cluster.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function allGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pids.every((p) => !alive(p))) return true;
    await delay(200);
  }
  return false;
}

describe("the control-plane harness", () => {
  test("starts etcd + kube-apiserver with RBAC on, answers kubectl, and stops without leftovers", async () => {
    const started = Date.now();
    const cp = await ControlPlane.start({ controllerManager: false });
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`control plane (etcd + kube-apiserver) ready in ${seconds.toFixed(1)} s\n`);
    const pids = cp.processIds();
    expect(pids).toHaveLength(2);
    const whoami = await kubectl(cp.kubeconfigPath, [
      "auth",
      "whoami",
      "-o",
      "jsonpath={.status.userInfo.groups}",
    ]);
    expect(whoami.stdout).toContain("system:masters");
    // RBAC is on: an unbound ServiceAccount may not list pods.
    const canI = await kubectl(cp.kubeconfigPath, [
      "auth",
      "can-i",
      "list",
      "pods",
      "--as=system:serviceaccount:default:nobody",
    ]);
    expect(canI.stdout.trim()).toBe("no");
    await cp.stop({ removeDir: true });
    expect(await allGone(pids, 15_000)).toBe(true);
  });

  test("a SIGKILLed owner takes its etcd and kube-apiserver with it (no orphans even when a test run is killed)", async () => {
    const child = spawn(process.execPath, ["dist/test/harness/orphan-check.js"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout }).once("line", resolve),
    );
    const pids = JSON.parse(line) as number[];
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    child.kill("SIGKILL");
    expect(await allGone(pids, 20_000)).toBe(true);
  });
});
