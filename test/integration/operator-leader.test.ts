import type { ChildProcess } from "node:child_process";
import type { KubeObject } from "../../src/kube/object.js";
import type { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { createNamespace, restClient, sharedKubeconfig } from "../harness/cluster.js";
import { eventually } from "../harness/operator.js";
import { spawnOperator } from "../harness/operator-process.js";
import { applyMaieDeployments } from "../harness/apply.js";

/** Two operator processes (the real CLI), one Lease: one leader; kill it and the other takes over. */

let client: RestClient;
let kubeconfig: string;
let ns: string;
const procs = new Map<string, { child: ChildProcess; port: number }>();

async function startProcess(identity: string): Promise<void> {
  procs.set(
    identity,
    await spawnOperator(kubeconfig, ns, {
      logLevel: "warn",
      extra: ["--lease-namespace", ns, "--identity", identity],
    }),
  );
}

async function holder(): Promise<string | undefined> {
  const lease = await client
    .request<{ spec: { holderIdentity?: string } }>(
      "GET",
      resourcePath(RESOURCE_TYPES.Lease, ns, "maie-operator-leader"),
    )
    .catch(() => undefined);
  return lease?.spec.holderIdentity;
}

async function leaderGauge(identity: string): Promise<number | undefined> {
  const p = procs.get(identity);
  const res = await fetch(`http://127.0.0.1:${p?.port}/metrics`).catch(() => undefined);
  const text = res?.ok === true ? await res.text() : "";
  const m = /^maie_operator_leader (\d)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

beforeAll(async () => {
  kubeconfig = sharedKubeconfig();
  client = await restClient(kubeconfig);
  ns = await createNamespace(client, "leader");
  await startProcess("op-a");
  await startProcess("op-b");
});

afterAll(async () => {
  for (const { child } of procs.values()) if (child.exitCode === null) child.kill("SIGKILL");
  client.close();
});

const apply = (replicas: number) =>
  applyMaieDeployments(kubeconfig, ns, [{ name: "led", spec: { replicas } }]);

async function replicas(): Promise<number | undefined> {
  const d = await client
    .request<KubeObject>("GET", resourcePath(RESOURCE_TYPES.Deployment, ns, "led"))
    .catch(() => undefined);
  return (d?.["spec"] as { replicas?: number } | undefined)?.replicas;
}

describe("leader election across two operator processes", () => {
  let leader = "";
  let standby = "";

  test("exactly one becomes leader", async () => {
    leader = await eventually(holder, 30_000, "a lease holder");
    standby = leader === "op-a" ? "op-b" : "op-a";
    await eventually(async () => (await leaderGauge(leader)) === 1, 30_000, "leader gauge");
    // The standby may still be starting its metrics server on a loaded machine: wait for it to answer, then it must say 0.
    expect(await eventually(async () => leaderGauge(standby), 30_000, "standby metrics")).toBe(0);
    // Ready once its caches have synced, as a standby.
    await eventually(
      async () =>
        (await (await fetch(`http://127.0.0.1:${procs.get(standby)?.port}/readyz`)).text()).includes(
          "standby",
        ),
      30_000,
      "standby ready",
    );
    await apply(1);
    await eventually(async () => (await replicas()) === 1, 30_000, "leader reconciles");
  });

  test("SIGKILL the leader: the standby takes over within 20 s and reconciles", async () => {
    const killedAt = Date.now();
    procs.get(leader)?.child.kill("SIGKILL");
    await eventually(
      async () => (await holder()) === standby && (await leaderGauge(standby)) === 1,
      25_000,
      "standby takes the lease",
    );
    const takeoverMs = Date.now() - killedAt;
    process.stderr.write(`leader takeover after SIGKILL: ${(takeoverMs / 1000).toFixed(1)} s\n`);
    expect(takeoverMs).toBeLessThan(20_000);
    await apply(2);
    await eventually(async () => (await replicas()) === 2, 30_000, "new leader reconciles");
  });

  test("SIGTERM releases the lease, so a restarted standby takes over without waiting for expiry", async () => {
    await startProcess(leader); // the killed one comes back as standby
    await eventually(async () => (await leaderGauge(leader)) === 0, 30_000, "restarted process is standby");
    const stoppedAt = Date.now();
    const current = procs.get(standby)!.child;
    const exited = new Promise((r) => current.once("exit", r));
    current.kill("SIGTERM");
    await exited;
    expect(current.exitCode).toBe(0);
    await eventually(async () => (await holder()) === leader, 15_000, "lease handed over");
    const handoverMs = Date.now() - stoppedAt;
    process.stderr.write(`leader handover after SIGTERM: ${(handoverMs / 1000).toFixed(1)} s\n`);
    expect(handoverMs).toBeLessThan(10_000);
  });
});
