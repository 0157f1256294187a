import { spawn, type ChildProcess } from "node:child_process";
import { stringify } from "yaml";
import type { KubeObject } from "../../src/kube/object.js";
import { RESOURCE_TYPES, resourcePath, type KindName } from "../../src/kube/resources.js";
import { createNamespace, kubectl, startPrivateCluster, type TestCluster } from "../harness/cluster.js";
import { childNames, unconverged } from "../harness/convergence.js";
import { eventually } from "../harness/operator.js";
import { applyMaieDeployments } from "../harness/apply.js";

/**
 * The operator as a real process on a throttled apiserver
 * (--max-requests-inflight=4), SIGKILLed mid-reconcile and restarted, and
 * every pod template checked by the apiserver's own "restricted" Pod
 * Security admission.
 */

let cluster: TestCluster;
let ns: string;
let operator: ChildProcess | undefined;

function startOperator(): ChildProcess {
  return spawn(
    process.execPath,
    [
      "dist/src/cli/main.js",
      "operator",
      "--kubeconfig",
      cluster.kubeconfigPath,
      "--watch-namespace",
      ns,
      "--leader-election",
      "false",
      "--metrics-port",
      "0",
      "--metrics-bind-address",
      "127.0.0.1",
      "--log-level",
      "error",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
}

beforeAll(async () => {
  cluster = await startPrivateCluster({ controllerManager: true, maxRequestsInflight: 4 });
  ns = await createNamespace(cluster.client, "resilience", {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
  });
});

afterAll(async () => {
  if (operator !== undefined && operator.exitCode === null) operator.kill("SIGKILL");
  await cluster.stop();
});

const N = 12;

/** The FailedCreate events in the namespace (a controller refused a pod), one name a line. */
async function failedCreateEvents(): Promise<string> {
  const out = await kubectl(cluster.kubeconfigPath, [
    "get",
    "events",
    "-n",
    ns,
    "--field-selector",
    "reason=FailedCreate",
    "-o",
    "name",
  ]);
  if (out.code !== 0) throw new Error(`kubectl get events: ${out.stderr}`);
  return out.stdout.trim();
}

async function list(kind: KindName): Promise<KubeObject[]> {
  return (
    await cluster.client.request<{ items: KubeObject[] }>("GET", resourcePath(RESOURCE_TYPES[kind], ns))
  ).items;
}

async function applyAll(replicas: number): Promise<void> {
  await applyMaieDeployments(
    cluster.kubeconfigPath,
    ns,
    Array.from({ length: N }, (_, i) => ({
      name: `r${i}`,
      spec: {
        replicas,
        scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
        ingress: { enabled: i % 2 === 0, host: `r${i}.example.com` },
      },
    })),
  );
}

/** Children a status reports as applied that the apiserver does not have: the status must never claim more than was written. */
async function missingReportedChildren(): Promise<string[]> {
  const crs = await list("MaieDeployment");
  const reported = crs.flatMap(
    (c) => (c["status"] as { children?: { kind: string; name: string }[] } | undefined)?.children ?? [],
  );
  const missing: string[] = [];
  for (const kind of new Set(reported.map((r) => r.kind))) {
    if (!(kind in RESOURCE_TYPES)) throw new Error(`status reports a child of unknown kind ${kind}`);
    const live = new Set((await list(kind as KindName)).map((o) => o.metadata.name));
    for (const r of reported) if (r.kind === kind && !live.has(r.name)) missing.push(`${kind}/${r.name}`);
  }
  return missing.sort();
}

async function allAt(replicas: number): Promise<boolean> {
  const deployments = await list("Deployment");
  return (
    deployments.length === N &&
    deployments.every((d) => (d["spec"] as { replicas: number }).replicas === replicas)
  );
}

describe("operator resilience on a throttled apiserver", () => {
  test("SIGKILLed mid-reconcile and restarted: converges with no lost update and no duplicate child", async () => {
    operator = startOperator();
    await applyAll(1);
    // Kill it as soon as it has started writing, i.e. in the middle of reconciling the batch.
    await eventually(
      async () => (await list("ServiceAccount")).some((sa) => sa.metadata.name.startsWith("r")),
      60_000,
      "first writes",
    );
    operator.kill("SIGKILL");
    await new Promise((r) => operator!.once("exit", r));
    await applyAll(2); // an update made while no operator runs must not be lost
    operator = startOperator();
    // Deployments at 2 replicas prove only that each Deployment was written: a reconcile applies its
    // children concurrently, so the Service of the same pass may land later. The operator's own signal
    // that a resource is done is a status at the current generation from a pass in which every child applied.
    await eventually(
      async () => (await unconverged(cluster.client, ns)).length === 0,
      120_000,
      "every status at the current generation with every child applied",
    );
    expect(await allAt(2)).toBe(true);
    expect(await missingReportedChildren()).toEqual([]);
    const names = Array.from({ length: N }, (_, i) => `r${i}`).sort();
    expect(await childNames(cluster.client, "Service", ns)).toEqual(names);
    expect(await childNames(cluster.client, "Deployment", ns)).toEqual(names);
    expect(await childNames(cluster.client, "Ingress", ns)).toEqual(
      names.filter((n) => Number(n.slice(1)) % 2 === 0),
    );
  });

  test("every scorer pod template is admitted by the restricted Pod Security Standard (enforced by the apiserver)", async () => {
    // The ReplicaSet controller creates the pods; a template that broke "restricted" would be refused (FailedCreate).
    await eventually(async () => (await list("Pod")).length >= N * 2, 120_000, "scorer pods created");
    expect(await failedCreateEvents()).toBe("");
  });

  test("the pipeline and backup Job templates are admitted by the restricted Pod Security Standard", async () => {
    for (const cron of ["r0-pipeline", "r0-backup"]) {
      const job = `${cron}-manual`;
      const out = await kubectl(cluster.kubeconfigPath, [
        "create",
        "job",
        job,
        `--from=cronjob/${cron}`,
        "-n",
        ns,
      ]);
      expect(out.stderr).toBe("");
      await eventually(
        async () =>
          (
            await kubectl(cluster.kubeconfigPath, [
              "get",
              "pods",
              "-n",
              ns,
              "-l",
              `job-name=${job}`,
              "-o",
              "name",
            ])
          ).stdout.trim() !== "",
        60_000,
        `pod of ${job}`,
      );
    }
    expect(await failedCreateEvents()).toBe("");
  });

  test("a pod template that breaks the restricted profile is refused in this namespace (the check is real)", async () => {
    const bad = stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "privileged" },
      spec: { containers: [{ name: "c", image: "busybox", securityContext: { privileged: true } }] },
    });
    const out = await kubectl(cluster.kubeconfigPath, ["create", "-n", ns, "-f", "-"], bad);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
  });
});
