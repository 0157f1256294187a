import type { KubeObject } from "../../src/kube/object.js";
import { isNotFound, type RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath, resourceType } from "../../src/kube/resources.js";
import { createNamespace, kubectl, restClient, sharedKubeconfig } from "../harness/cluster.js";
import { eventually, markPodsReady, startTestOperator, type TestOperator } from "../harness/operator.js";
import { applyMaieDeployments } from "../harness/apply.js";

let kubeconfig: string;
let client: RestClient;
let ns: string;
let operator: TestOperator;

const NAME = "alpha";
const SCORER = "app.kubernetes.io/instance=alpha,app.kubernetes.io/component=scorer";

beforeAll(async () => {
  kubeconfig = sharedKubeconfig();
  client = await restClient(kubeconfig);
  ns = await createNamespace(client, "reconcile");
  operator = await startTestOperator(kubeconfig, ns, { resyncSeconds: "5" });
});

afterAll(async () => {
  await operator.handle.stop();
  client.close();
});

async function get(kind: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.request<KubeObject>("GET", resourcePath(resourceType(kind), ns, name));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function resource(): Promise<{
  metadata: { generation: number; uid: string };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason: string }[] };
}> {
  return client.request("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, NAME));
}

const applySpec = (spec: unknown): Promise<void> =>
  applyMaieDeployments(kubeconfig, ns, [{ name: NAME, spec }], { fieldManager: "test-user" });

async function converged(): Promise<void> {
  const r = await resource();
  await eventually(
    async () => {
      const now = await resource();
      return (
        now.status?.observedGeneration === r.metadata.generation &&
        now.status.conditions?.find((c) => c.type === "Progressing")?.reason !== "ChildrenUpdated"
      );
    },
    30_000,
    "status.observedGeneration to follow the spec",
  );
}

const baseSpec = {
  replicas: 2,
  model: { format: "lightgbm", path: "models/model.txt" },
  monitoring: { serviceMonitor: { enabled: "Enabled" }, alerts: { enabled: "Enabled" } },
};

/** The spec after the change test: more replicas, another schedule, an Ingress (with the auth it requires). */
const changedSpec = {
  ...baseSpec,
  replicas: 3,
  pipeline: { schedule: "30 21 * * 1-5" },
  scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
  ingress: { enabled: true, host: "maie.example.com" },
};

describe("the operator on a real control plane", () => {
  test("the sample gets every child, with our labels and a controller owner reference", async () => {
    await applySpec(baseSpec);
    const expected: [string, string][] = [
      ["ServiceAccount", NAME],
      ["PersistentVolumeClaim", `${NAME}-data`],
      ["PersistentVolumeClaim", `${NAME}-backups`],
      ["Service", NAME],
      ["Deployment", NAME],
      ["CronJob", `${NAME}-pipeline`],
      ["CronJob", `${NAME}-backup`],
      ["PodDisruptionBudget", NAME],
      ["NetworkPolicy", NAME],
      ["ServiceMonitor", NAME],
      ["PrometheusRule", NAME],
    ];
    const uid = (await resource()).metadata.uid;
    for (const [kind, name] of expected) {
      const child = await eventually(() => get(kind, name), 30_000, `${kind}/${name}`);
      expect(child.metadata.labels).toMatchObject({
        "app.kubernetes.io/name": "maie",
        "app.kubernetes.io/instance": NAME,
        "app.kubernetes.io/managed-by": "maie-operator",
        "app.kubernetes.io/part-of": "maie",
      });
      if (kind === "PersistentVolumeClaim") {
        expect(child.metadata.ownerReferences ?? []).toEqual([]); // retained on delete by default
      } else {
        expect(child.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: "MaieDeployment", name: NAME, uid, controller: true }),
        ]);
      }
    }
  });

  test("every condition is set on the first reconcile, Unknown where not yet known", async () => {
    const r = await eventually(async () => {
      const x = await resource();
      return (x.status?.conditions?.length ?? 0) > 0 ? x : undefined;
    });
    expect(r.status?.conditions?.map((c) => c.type).sort()).toEqual([
      "Available",
      "BackupHealthy",
      "Degraded",
      "MonitoringConfigured",
      "PipelineHealthy",
      "Progressing",
      "Ready",
    ]);
    expect(r.status?.conditions?.find((c) => c.type === "PipelineHealthy")).toMatchObject({
      status: "Unknown",
      reason: "NoRunYet",
    });
    expect(r.status?.conditions?.find((c) => c.type === "MonitoringConfigured")).toMatchObject({
      status: "True",
      reason: "Applied",
    });
    const get = await kubectl(kubeconfig, ["get", "maie", NAME, "-n", ns]);
    // MODEL is what the scorer pods report serving: no pod runs here yet, so none, and status.model says why.
    expect(get.stdout).toMatch(/^alpha\s+False\s+0\/2\s+\d+s$/m);
    const model = (await resource()).status as {
      model?: { source?: string; format?: string; message?: string };
    };
    expect(model.model).toEqual({
      source: "models/model.txt",
      format: "lightgbm",
      message: "no running scorer pod to ask yet",
    });
  });

  test("kubectl wait --for=condition=Ready succeeds once the scorer pods are ready (pods marked Ready through the API: no kubelet here)", async () => {
    await eventually(
      async () => (await markPodsReady(client, ns, SCORER)) === 2,
      30_000,
      "two scorer pods from the ReplicaSet controller",
    );
    const waited = await kubectl(kubeconfig, [
      "wait",
      "--for=condition=Ready",
      `maie/${NAME}`,
      "-n",
      ns,
      "--timeout=60s",
    ]);
    expect(waited.stderr).toBe("");
    expect(waited.stdout).toContain("condition met");
    const get = await kubectl(kubeconfig, ["get", "maie", NAME, "-n", ns]);
    expect(get.stdout).toMatch(/alpha\s+True\s+2\/2/);
  });

  test("spec changes reach the children and observedGeneration follows", async () => {
    await applySpec(changedSpec);
    await eventually(
      async () => ((await get("Deployment", NAME))?.["spec"] as { replicas: number }).replicas === 3,
      30_000,
      "deployment replicas 3",
    );
    await eventually(
      async () =>
        ((await get("CronJob", `${NAME}-pipeline`))?.["spec"] as { schedule: string }).schedule ===
        "30 21 * * 1-5",
      30_000,
      "new schedule",
    );
    const ingress = await eventually(() => get("Ingress", NAME), 30_000, "ingress");
    expect(JSON.stringify(ingress["spec"])).toContain("maie.example.com");
    await converged();
  });

  test("turning autoscaling on hands spec.replicas over without a dip to 1", async () => {
    await applySpec({ ...changedSpec, autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5 } });
    await eventually(() => get("HorizontalPodAutoscaler", NAME), 30_000, "hpa");
    await converged();
    const deployment = await get("Deployment", NAME);
    expect((deployment?.["spec"] as { replicas: number }).replicas).toBe(3);
    const managers = (deployment?.metadata.managedFields ?? []).map((m) => m.manager);
    expect(managers).toContain("maie-operator-handover");
    // And back off: the operator owns replicas again and sets the spec's value.
    await applySpec(changedSpec);
    await eventually(
      async () => (await get("HorizontalPodAutoscaler", NAME)) === undefined,
      30_000,
      "hpa deleted",
    );
    expect(((await get("Deployment", NAME))?.["spec"] as { replicas: number }).replicas).toBe(3);
  });

  test("children that are no longer desired are deleted (ingress off, monitoring off)", async () => {
    await applySpec({
      ...baseSpec,
      replicas: 3,
      monitoring: { serviceMonitor: { enabled: "Disabled" }, alerts: { enabled: "Disabled" } },
      ingress: { enabled: false },
    });
    await eventually(async () => (await get("Ingress", NAME)) === undefined, 30_000, "ingress deleted");
    await eventually(
      async () => (await get("ServiceMonitor", NAME)) === undefined,
      30_000,
      "servicemonitor deleted",
    );
    await eventually(
      async () => (await get("PrometheusRule", NAME)) === undefined,
      30_000,
      "prometheusrule deleted",
    );
    await converged();
    const r = await resource();
    expect(r.status?.conditions?.find((c) => c.type === "MonitoringConfigured")).toMatchObject({
      status: "True",
      reason: "Disabled",
    });
  });

  test("a deleted child is recreated", async () => {
    const before = await get("Service", NAME);
    await client.request("DELETE", resourcePath(RESOURCE_TYPES.Service, ns, NAME));
    const after = await eventually(
      async () => {
        const s = await get("Service", NAME);
        return s !== undefined && s.metadata.uid !== before?.metadata.uid ? s : undefined;
      },
      30_000,
      "service recreated",
    );
    expect(after.metadata.labels?.["app.kubernetes.io/instance"]).toBe(NAME);
  });

  test("a hand-edited managed field is reverted, and a field set by another manager survives", async () => {
    await kubectl(kubeconfig, [
      "annotate",
      "-n",
      ns,
      "service",
      NAME,
      "team.example.com/owner=quant-platform",
    ]);
    const patched = await kubectl(kubeconfig, [
      "patch",
      "-n",
      ns,
      "service",
      NAME,
      "--type=merge",
      "-p",
      JSON.stringify({ metadata: { labels: { "app.kubernetes.io/part-of": "hijacked" } } }),
    ]);
    expect(patched.code).toBe(0);
    await eventually(
      async () => (await get("Service", NAME))?.metadata.labels?.["app.kubernetes.io/part-of"] === "maie",
      30_000,
      "label reverted",
    );
    // Another reconcile pass (resync is 5 s) must still leave the other manager's annotation alone.
    await new Promise((r) => setTimeout(r, 6000));
    expect((await get("Service", NAME))?.metadata.annotations?.["team.example.com/owner"]).toBe(
      "quant-platform",
    );
  });

  test("kubectl rollout restart is left alone: another writer under the Deployment's template is read, not reverted", async () => {
    // The cache holds no pod template (lean-cache.ts): this writer's entry makes each reconcile read the
    // Deployment and compare; the restart annotation is not ours, so nothing is written (next test).
    const restarted = await kubectl(kubeconfig, ["rollout", "restart", "-n", ns, "deployment", NAME]);
    expect(restarted.code).toBe(0);
    await new Promise((r) => setTimeout(r, 6000)); // one resync (5 s)
    const template = (await get("Deployment", NAME))?.["spec"] as
      { template: { metadata: { annotations?: Record<string, string> } } } | undefined;
    expect(template?.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBeDefined();
  });

  test("an idle resync makes zero writes (counted on the operator's own client)", async () => {
    await converged();
    // Let in-flight events (the annotation above, pod status) settle, then count over two resync periods.
    await new Promise((r) => setTimeout(r, 3000));
    operator.resetWrites();
    const reconcilesBefore = (await operator.handle.metrics.reconcileTotal.get()).values.reduce(
      (a, v) => a + v.value,
      0,
    );
    await new Promise((r) => setTimeout(r, 11_000));
    const reconcilesAfter = (await operator.handle.metrics.reconcileTotal.get()).values.reduce(
      (a, v) => a + v.value,
      0,
    );
    expect(reconcilesAfter - reconcilesBefore).toBeGreaterThanOrEqual(2); // the resync really ran
    expect(operator.writes()).toEqual([]);
  });

  test("deleting the resource garbage-collects owned children and keeps the retained PVCs", async () => {
    await client.request("DELETE", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, NAME));
    await eventually(
      async () => (await get("Deployment", NAME)) === undefined,
      60_000,
      "deployment garbage-collected",
    );
    await eventually(
      async () => (await get("CronJob", `${NAME}-pipeline`)) === undefined,
      60_000,
      "cronjob garbage-collected",
    );
    expect(await get("PersistentVolumeClaim", `${NAME}-data`)).toBeDefined();
    expect(await get("PersistentVolumeClaim", `${NAME}-backups`)).toBeDefined();
  });

  test("re-applying the resource re-uses the retained PVCs and converges to the same children", async () => {
    const pvcUid = (await get("PersistentVolumeClaim", `${NAME}-data`))?.metadata.uid;
    await applySpec(baseSpec);
    await eventually(() => get("Deployment", NAME), 30_000, "deployment recreated");
    expect((await get("PersistentVolumeClaim", `${NAME}-data`))?.metadata.uid).toBe(pvcUid);
  });
});
