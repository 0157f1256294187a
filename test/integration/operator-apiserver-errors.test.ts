import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderKubeconfig } from "../../tools/cluster/kubeconfig.js";
import type { KubeObject } from "../../src/kube/object.js";
import { createNamespace, startPrivateCluster, type TestCluster } from "../harness/cluster.js";
import { childNames, listObjects, unconverged } from "../harness/convergence.js";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import { eventually, startTestOperator, type TestOperator } from "../harness/operator.js";
import { applyMaieDeployments } from "../harness/apply.js";

/**
 * The operator talks to the real kube-apiserver only through a proxy that
 * answers a share of its requests 500, 503 or 429 and resets watches
 * mid-stream (test/harness/fault-proxy.ts). Creates and spec updates made
 * during the storm must all land: every resource converges at its latest
 * generation, with no duplicate child.
 */

const N = 8;
let cluster: TestCluster;
let proxy: FaultProxy;
let operator: TestOperator;
let ns: string;

beforeAll(async () => {
  cluster = await startPrivateCluster({ controllerManager: false });
  ns = await createNamespace(cluster.client, "apierr");
  proxy = await startFaultProxy({
    upstream: cluster.controlPlane.server,
    certs: cluster.controlPlane.certs,
    // About one request in six refused; half of the watches reset.
    rates: { error500: 0.05, error503: 0.04, throttle429: 0.08, watchReset: 0.5 },
    seed: 9,
  });
  const kubeconfig = join(cluster.controlPlane.dir, "through-proxy.kubeconfig");
  const c = cluster.controlPlane.certs;
  await writeFile(
    kubeconfig,
    renderKubeconfig({
      server: proxy.url,
      caCert: c.caCert,
      user: { name: "maie-admin", clientCert: c.adminCert, clientKey: c.adminKey },
    }),
  );
  // Faults are on from the first request: start-up discovery and the first lists go through them too.
  operator = await startTestOperator(kubeconfig, ns, { resyncSeconds: "10" });
});

afterAll(async () => {
  await operator.handle.stop();
  await proxy.close();
  await cluster.stop();
});

/** Applied straight to the apiserver (admin kubeconfig): only the operator's traffic goes through the proxy. */
async function applyAll(replicas: number): Promise<void> {
  await applyMaieDeployments(
    cluster.kubeconfigPath,
    ns,
    Array.from({ length: N }, (_, i) => ({
      name: `e${i}`,
      spec: {
        replicas,
        scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
        ingress: { enabled: (i + replicas) % 2 === 0, host: `e${i}.example.com` },
      },
    })),
  );
}

async function deploymentsAt(replicas: number): Promise<boolean> {
  const ds = await listObjects(cluster.client, "Deployment", ns);
  return ds.length === N && ds.every((d) => (d["spec"] as { replicas: number }).replicas === replicas);
}

function operatorCounters(): Promise<string> {
  return operator.handle.metrics.registry.metrics();
}

describe("operator behind a fault-injecting proxy (5xx, 429 with Retry-After, watch resets)", () => {
  test("creates and a spec update made mid-storm all converge, with no duplicate child", async () => {
    await applyAll(1);
    // Update once the operator is part-way through (some status written), so the update races the storm.
    await eventually(async () => (await unconverged(cluster.client, ns)).length < N, 120_000, "first status");
    await applyAll(2);
    await eventually(
      async () => (await unconverged(cluster.client, ns)).length === 0 && (await deploymentsAt(2)),
      150_000,
      `${N} resources converged at generation 2`,
    );

    const expected = Array.from({ length: N }, (_, i) => `e${i}`).sort();
    for (const kind of ["Deployment", "Service", "ServiceAccount", "NetworkPolicy"] as const)
      expect(await childNames(cluster.client, kind, ns)).toEqual(expected);
    expect(await childNames(cluster.client, "CronJob", ns)).toEqual(
      expected.flatMap((n) => [`${n}-backup`, `${n}-loader`, `${n}-pipeline`]).sort(),
    );
    // Ingress follows the last spec: on exactly where (i + 2) is even.
    expect(await childNames(cluster.client, "Ingress", ns)).toEqual(expected.filter((_, i) => i % 2 === 0));

    const metrics = await operatorCounters();
    const reconcileErrors = /maie_operator_reconcile_total\{result="error"\} (\d+)/.exec(metrics)?.[1] ?? "0";
    const byCode = [
      ...metrics.matchAll(/maie_operator_api_requests_total\{verb="(\w+)",code="(\d+)"\} (\d+)/g),
    ]
      .filter((m) => m[2] !== "200" && m[2] !== "201")
      .map((m) => `${m[1]} ${m[2]}: ${m[3]}`);
    process.stderr.write(
      `fault proxy: ${JSON.stringify(proxy.counts)}; operator reconcile errors ${reconcileErrors}; non-2xx answers seen by the operator: ${byCode.join(", ")}\n`,
    );
    // Every kind of fault was actually thrown at the operator (the test is not vacuous).
    expect(proxy.counts.error500).toBeGreaterThan(0);
    expect(proxy.counts.error503).toBeGreaterThan(0);
    expect(proxy.counts.throttle429).toBeGreaterThan(0);
    expect(proxy.counts.watchReset).toBeGreaterThan(0);
  }, 300_000); // above the default 180 s: slow 2-core CI machines; every wait inside is bounded

  test("once the faults stop, every resource reports Degraded=False and a further change converges", async () => {
    proxy.setEnabled(false);
    await applyAll(3);
    await eventually(
      async () => (await unconverged(cluster.client, ns)).length === 0 && (await deploymentsAt(3)),
      90_000,
      "converged at generation 3",
    );
    const crs = await listObjects<
      KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
    >(cluster.client, "MaieDeployment", ns);
    for (const cr of crs)
      expect(cr.status?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "False" });
  });
});
