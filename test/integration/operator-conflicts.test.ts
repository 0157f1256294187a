import type { KubeObject } from "../../src/kube/object.js";
import { APPLY_PATCH, isConflict, MERGE_PATCH, type RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { createNamespace, restClient, sharedKubeconfig } from "../harness/cluster.js";
import { childNames, unconverged } from "../harness/convergence.js";
import { eventually, startTestOperator, type TestOperator } from "../harness/operator.js";
import { applyMaieDeployments } from "../harness/apply.js";

/**
 * Competing writers on the real apiserver. A rival fights the operator over
 * fields it owns in the children (server-side apply with force, merge
 * patches, read-modify-write updates, an update with a stale
 * resourceVersion), and a GitOps-style writer edits the resource's spec
 * while the operator writes its status. Once the fight stops the operator's
 * values stand, no spec update is lost, no child is duplicated, and no
 * write loop is left behind.
 */

const RESYNC_SECONDS = 5;
let client: RestClient;
let kubeconfig: string;
let ns: string;
let operator: TestOperator;

beforeAll(async () => {
  kubeconfig = sharedKubeconfig();
  client = await restClient(kubeconfig);
  ns = await createNamespace(client, "conflicts");
  operator = await startTestOperator(kubeconfig, ns, { resyncSeconds: String(RESYNC_SECONDS) });
});

afterAll(async () => {
  await operator.handle.stop();
  client.close();
});

const path = (kind: keyof typeof RESOURCE_TYPES, name?: string) =>
  resourcePath(RESOURCE_TYPES[kind], ns, name);

async function get(kind: keyof typeof RESOURCE_TYPES, name: string): Promise<KubeObject> {
  return client.request<KubeObject>("GET", path(kind, name));
}

const applyResource = (name: string, spec: unknown): Promise<void> =>
  applyMaieDeployments(kubeconfig, ns, [{ name, spec }]);

/** Runs `write`, counting a 409 as the rival losing a race (what a real client sees) rather than failing. */
async function attempt(write: () => Promise<unknown>, conflicts: { n: number }): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!isConflict(err)) throw err;
    conflicts.n += 1;
  }
}

interface Container {
  name: string;
  image: string;
  ports?: { name: string; containerPort: number; protocol: string }[];
}

function container(d: KubeObject): Container {
  return (d["spec"] as { template: { spec: { containers: Container[] } } }).template.spec.containers.find(
    (c) => c.name === "scorer",
  )!;
}

function servicePorts(s: KubeObject): { name: string; port: number }[] {
  return (s["spec"] as { ports: { name: string; port: number }[] }).ports.map((p) => ({
    name: p.name,
    port: p.port,
  }));
}

async function operatorConflicts(): Promise<number> {
  const text = await operator.handle.metrics.registry.metrics();
  return [...text.matchAll(/maie_operator_api_requests_total\{verb="\w+",code="409"\} (\d+)/g)].reduce(
    (a, m) => a + Number(m[1]),
    0,
  );
}

async function reconcileErrors(): Promise<number> {
  const text = await operator.handle.metrics.registry.metrics();
  return Number(/maie_operator_reconcile_total\{result="error"\} (\d+)/.exec(text)?.[1] ?? "0");
}

describe("operator against competing writers (409 races, rival field managers)", () => {
  test("a rival rewriting the children's image, labels, Service and container ports loses once it stops; no duplicate, no write loop", async () => {
    await applyResource("contested", { replicas: 1 });
    await eventually(
      async () => (await unconverged(client, ns, ["contested"])).length === 0,
      60_000,
      "first reconcile",
    );
    // The operator's own values, read once it has converged and before the fight.
    const desiredImage = container(await get("Deployment", "contested")).image;
    const desiredContainerPorts = JSON.stringify(container(await get("Deployment", "contested")).ports);
    const desiredServicePorts = JSON.stringify(servicePorts(await get("Service", "contested")));
    const staleDeployment = await get("Deployment", "contested");
    const rival = { n: 0 };

    const fightUntil = Date.now() + 8_000;
    for (let round = 0; Date.now() < fightUntil; round += 1) {
      // 1. Another manager force-applies the container image (server-side apply takes the field from us).
      await attempt(
        () =>
          client.request("PATCH", path("Deployment", "contested"), {
            body: {
              apiVersion: "apps/v1",
              kind: "Deployment",
              metadata: { name: "contested" },
              spec: {
                template: { spec: { containers: [{ name: "scorer", image: `rival/image:${round}` }] } },
              },
            },
            contentType: APPLY_PATCH,
            query: { fieldManager: "rival-apply", force: true },
          }),
        rival,
      );
      // 2. A merge patch rewrites a label we set, and one that takes the ConfigMap out of our informer's selector.
      await attempt(
        () =>
          client.request("PATCH", path("ServiceAccount", "contested"), {
            body: { metadata: { labels: { "app.kubernetes.io/component": "hijacked" } } },
            contentType: MERGE_PATCH,
            query: { fieldManager: "rival-patch" },
          }),
        rival,
      );
      await attempt(
        () =>
          client.request("PATCH", path("ConfigMap", "contested-dashboards"), {
            body: { metadata: { labels: { "app.kubernetes.io/managed-by": "someone-else" } } },
            contentType: MERGE_PATCH,
            query: { fieldManager: "rival-patch" },
          }),
        rival,
      );
      // 3. Read-modify-write of the Service port (an Update, as kubectl edit does); races our apply.
      await attempt(async () => {
        const svc = await get("Service", "contested");
        const spec = svc["spec"] as { ports: { port: number }[] };
        spec.ports[0]!.port = 9000 + round;
        await client.request("PUT", path("Service", "contested"), {
          body: svc,
          query: { fieldManager: "rival-put" },
        });
      }, rival);
      // 3b. The same for the scorer's container port (container ports are keyed by number, named uniquely).
      await attempt(async () => {
        const d = await get("Deployment", "contested");
        container(d).ports![0]!.containerPort = 9000 + round;
        await client.request("PUT", path("Deployment", "contested"), {
          body: d,
          query: { fieldManager: "rival-put" },
        });
      }, rival);
      // 4. An update carrying a resourceVersion read before the fight: optimistic concurrency must refuse it.
      await attempt(async () => {
        const stale = structuredClone(staleDeployment);
        container(stale).image = "rival/stale:1";
        await client.request("PUT", path("Deployment", "contested"), {
          body: stale,
          query: { fieldManager: "rival-put" },
        });
      }, rival);
      await new Promise((r) => setTimeout(r, 100));
    }

    await eventually(
      async () => {
        const [d, svc, sa, cm] = await Promise.all([
          get("Deployment", "contested"),
          get("Service", "contested"),
          get("ServiceAccount", "contested"),
          get("ConfigMap", "contested-dashboards"),
        ]);
        return (
          container(d).image === desiredImage &&
          JSON.stringify(container(d).ports) === desiredContainerPorts &&
          JSON.stringify(servicePorts(svc)) === desiredServicePorts &&
          sa.metadata.labels?.["app.kubernetes.io/component"] === "scorer" &&
          cm.metadata.labels?.["app.kubernetes.io/managed-by"] === "maie-operator" &&
          (await unconverged(client, ns, ["contested"])).length === 0
        );
      },
      90_000,
      "the operator's values back on every child",
    );
    for (const kind of ["Deployment", "Service", "ServiceAccount", "NetworkPolicy"] as const)
      expect(await childNames(client, kind, ns)).toEqual(["contested"]);
    expect(await childNames(client, "ConfigMap", ns)).toEqual(["contested-dashboards"]);

    process.stderr.write(
      `rival writes refused with 409: ${rival.n}; 409s seen by the operator: ${await operatorConflicts()}; operator reconcile errors: ${await reconcileErrors()}\n`,
    );
    // The stale update lost every time: the race was real and the apiserver refused it.
    expect(rival.n).toBeGreaterThan(0);

    // No write loop left behind: over two resync periods the operator writes no child. (A status write may
    // happen: the controller manager is still rolling out the ReplicaSets the image fight created, and the
    // status follows the Deployment's conditions.)
    await new Promise((r) => setTimeout(r, 1_000));
    operator.resetWrites();
    await new Promise((r) => setTimeout(r, 2 * RESYNC_SECONDS * 1000 + 1000));
    expect(operator.writes().filter((w) => !w.path.endsWith("/status"))).toEqual([]);
  });

  test("spec edits racing the operator's status writes: the last spec is reconciled, none lost", async () => {
    await applyResource("edited", { replicas: 1 });
    await eventually(
      async () => (await unconverged(client, ns, ["edited"])).length === 0,
      60_000,
      "first reconcile",
    );
    const first = await get("MaieDeployment", "edited");
    const writer = { n: 0 };
    let last = { replicas: 1, minute: 0 };
    for (let k = 1; k <= 12; k += 1) {
      const want = { replicas: (k % 3) + 1, minute: k };
      // Read-modify-write with retry on 409, as kubectl edit or a GitOps controller would; the pause lets the
      // operator's status write (which moves resourceVersion) land between our read and our write.
      for (;;) {
        const cr = await get("MaieDeployment", "edited");
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
        const spec = cr["spec"] as { replicas: number; pipeline?: { schedule?: string } };
        spec.replicas = want.replicas;
        spec.pipeline = { ...spec.pipeline, schedule: `${want.minute} 22 * * *` };
        try {
          await client.request("PUT", path("MaieDeployment", "edited"), {
            body: cr,
            query: { fieldManager: "gitops" },
          });
          break;
        } catch (err) {
          if (!isConflict(err)) throw err;
          writer.n += 1;
        }
      }
      last = want;
    }
    // And an update based on the very first read: refused, so it cannot silently undo the edits above.
    await attempt(
      () =>
        client.request("PUT", path("MaieDeployment", "edited"), {
          body: first,
          query: { fieldManager: "gitops" },
        }),
      writer,
    );

    await eventually(
      async () => {
        const [cr, d, cron] = await Promise.all([
          get("MaieDeployment", "edited"),
          get("Deployment", "edited"),
          get("CronJob", "edited-pipeline"),
        ]);
        return (
          (cr["status"] as { observedGeneration?: number } | undefined)?.observedGeneration ===
            cr.metadata.generation &&
          (d["spec"] as { replicas: number }).replicas === last.replicas &&
          (cron["spec"] as { schedule: string }).schedule === `${last.minute} 22 * * *`
        );
      },
      60_000,
      "the last spec reconciled",
    );
    expect((await get("MaieDeployment", "edited")).metadata.generation).toBe(first.metadata.generation! + 12);
    process.stderr.write(
      `spec writer: ${writer.n} writes refused with 409 and retried; 409s seen by the operator: ${await operatorConflicts()}\n`,
    );
    expect(writer.n).toBeGreaterThan(0);
    expect(await childNames(client, "CronJob", ns)).toEqual(
      [
        "contested-backup",
        "contested-loader",
        "contested-pipeline",
        "edited-backup",
        "edited-loader",
        "edited-pipeline",
      ].sort(),
    );
  });
});
