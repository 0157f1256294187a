import { installCrds, prometheusOperatorCrds } from "../../tools/cluster/install-crds.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { createNamespace, startPrivateCluster, type TestCluster } from "../harness/cluster.js";
import { eventually, startTestOperator, type TestOperator } from "../harness/operator.js";
import { applyMaieDeployments } from "../harness/apply.js";

/** A cluster without the Prometheus Operator, which gets it later: no error loop, then picked up without a restart. */

let cluster: TestCluster;
let operator: TestOperator;
let ns: string;

beforeAll(async () => {
  cluster = await startPrivateCluster({ controllerManager: false, prometheusCrds: false });
  ns = await createNamespace(cluster.client, "caps");
  operator = await startTestOperator(cluster.kubeconfigPath, ns, {
    resyncSeconds: "5",
    capabilityRecheckSeconds: "1",
  });
});

afterAll(async () => {
  await operator.handle.stop();
  await cluster.stop();
});

type Cond = { type: string; status: string; reason: string };
async function condition(name: string, type: string): Promise<Cond | undefined> {
  const r = await cluster.client.request<{ status?: { conditions?: Cond[] } }>(
    "GET",
    resourcePath(RESOURCE_TYPES.MaieDeployment, ns, name),
  );
  return r.status?.conditions?.find((c) => c.type === type);
}

describe("monitoring capability discovery", () => {
  test("without the Prometheus Operator CRDs, MonitoringConfigured is False/CRDNotInstalled and the rest is applied, with no error loop", async () => {
    const spec = { monitoring: { serviceMonitor: { enabled: "Auto" }, alerts: { enabled: "Enabled" } } };
    await applyMaieDeployments(cluster.kubeconfigPath, ns, [{ name: "mon", spec }]);
    const c = await eventually(
      () => condition("mon", "MonitoringConfigured"),
      30_000,
      "MonitoringConfigured",
    );
    expect(c).toMatchObject({ status: "False", reason: "CRDNotInstalled" });
    // alerts.enabled "true" with the API missing is a reported error, not a crash loop.
    expect(await condition("mon", "Degraded")).toMatchObject({ status: "True", reason: "CRDNotInstalled" });
    await eventually(
      async () =>
        (
          await cluster.client.request<{ items: unknown[] }>(
            "GET",
            resourcePath(RESOURCE_TYPES.Deployment, ns),
          )
        ).items.length === 1,
      30_000,
      "deployment",
    );

    const errorsBefore =
      (await operator.handle.metrics.reconcileTotal.get()).values.find((v) => v.labels["result"] === "error")
        ?.value ?? 0;
    await new Promise((r) => setTimeout(r, 6000));
    const errorsAfter =
      (await operator.handle.metrics.reconcileTotal.get()).values.find((v) => v.labels["result"] === "error")
        ?.value ?? 0;
    expect(errorsAfter - errorsBefore).toBe(0);
  });

  test("when the CRDs are installed later, ServiceMonitor and PrometheusRule are applied without an operator restart", async () => {
    await installCrds(cluster.client, await prometheusOperatorCrds());
    await eventually(
      async () => (await condition("mon", "MonitoringConfigured"))?.reason === "Applied",
      60_000,
      "MonitoringConfigured=Applied",
    );
    const sm = await cluster.client.request<{ items: unknown[] }>(
      "GET",
      resourcePath(RESOURCE_TYPES.ServiceMonitor, ns),
    );
    const pr = await cluster.client.request<{ items: unknown[] }>(
      "GET",
      resourcePath(RESOURCE_TYPES.PrometheusRule, ns),
    );
    expect(sm.items).toHaveLength(1);
    expect(pr.items).toHaveLength(1);
    expect(operator.handle.capabilities().prometheusOperator).toBe(true);
    expect(await condition("mon", "Degraded")).toMatchObject({ status: "False" });
  });
});
