import type { KubeObject } from "../../src/kube/object.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { createNamespace, startPrivateCluster, type TestCluster } from "../harness/cluster.js";
import { eventually, startTestOperator, type TestOperator } from "../harness/operator.js";
import { applyMaieDeployments } from "../harness/apply.js";

/** Faults the apiserver throws at a controller: apiserver and etcd restarts, cut watches. The operator must converge without a restart of its own. */

let cluster: TestCluster;
let operator: TestOperator;
let ns: string;

beforeAll(async () => {
  cluster = await startPrivateCluster({ controllerManager: false });
  ns = await createNamespace(cluster.client, "faults");
  operator = await startTestOperator(cluster.kubeconfigPath, ns, { resyncSeconds: "10" });
});

afterAll(async () => {
  await operator.handle.stop();
  await cluster.stop();
});

const apply = (name: string, spec: unknown) =>
  applyMaieDeployments(cluster.kubeconfigPath, ns, [{ name, spec }]);

async function deploymentReplicas(name: string): Promise<number | undefined> {
  const d = await cluster.client
    .request<KubeObject>("GET", resourcePath(RESOURCE_TYPES.Deployment, ns, name))
    .catch(() => undefined);
  return (d?.["spec"] as { replicas?: number } | undefined)?.replicas;
}

describe("operator under apiserver faults", () => {
  test("kube-apiserver restarted mid-run: changes made after the restart still converge", async () => {
    await apply("survivor", { replicas: 1 });
    await eventually(async () => (await deploymentReplicas("survivor")) === 1, 30_000, "first deployment");

    await cluster.controlPlane.restartApiserver();
    await apply("survivor", { replicas: 3 });
    await apply("newcomer", { replicas: 2 });
    await eventually(
      async () => (await deploymentReplicas("survivor")) === 3,
      60_000,
      "update seen after restart",
    );
    await eventually(
      async () => (await deploymentReplicas("newcomer")) === 2,
      60_000,
      "create seen after restart",
    );
  });

  test("kube-apiserver killed (SIGKILL) and started again: no duplicate children, status written", async () => {
    await cluster.controlPlane.killApiserver();
    await new Promise((r) => setTimeout(r, 2000));
    await cluster.controlPlane.startApiserver();
    await apply("survivor", { replicas: 2 });
    await eventually(async () => (await deploymentReplicas("survivor")) === 2, 60_000, "update after kill");
    const deployments = await cluster.client.request<{ items: KubeObject[] }>(
      "GET",
      resourcePath(RESOURCE_TYPES.Deployment, ns),
    );
    expect(deployments.items.map((d) => d.metadata.name).sort()).toEqual(["newcomer", "survivor"]);
  });

  test("watches cut mid-stream are resumed, and a deleted child is still recreated", async () => {
    for (const inf of operator.handle.informers.values()) inf.cutWatch();
    await cluster.client.request("DELETE", resourcePath(RESOURCE_TYPES.Service, ns, "newcomer"));
    await eventually(
      async () =>
        (await cluster.client
          .request<KubeObject>("GET", resourcePath(RESOURCE_TYPES.Service, ns, "newcomer"))
          .catch(() => undefined)) !== undefined,
      60_000,
      "service recreated",
    );
    const stats = [...operator.handle.informers.values()].map((i) => i.stats.watchErrors + i.stats.watches);
    expect(Math.min(...stats)).toBeGreaterThan(1);
  });

  test("etcd stopped and started again under the running apiserver: a change made after it returns converges, no duplicates", async () => {
    await cluster.controlPlane.restartEtcd();
    await apply("survivor", { replicas: 4 });
    await eventually(
      async () => (await deploymentReplicas("survivor")) === 4,
      90_000,
      "update after etcd restart",
    );
    const deployments = await cluster.client.request<{ items: KubeObject[] }>(
      "GET",
      resourcePath(RESOURCE_TYPES.Deployment, ns),
    );
    expect(deployments.items.map((d) => d.metadata.name).sort()).toEqual(["newcomer", "survivor"]);
  });
});
