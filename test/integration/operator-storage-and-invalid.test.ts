import type { KubeObject } from "../../src/kube/object.js";
import type { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { createNamespace, kubectl, restClient, sharedKubeconfig } from "../harness/cluster.js";
import { eventually, startTestOperator, type TestOperator } from "../harness/operator.js";
import { applyMaieDeployments } from "../harness/apply.js";

let kubeconfig: string;
let client: RestClient;
let ns: string;
let operator: TestOperator;

beforeAll(async () => {
  kubeconfig = sharedKubeconfig();
  client = await restClient(kubeconfig);
  ns = await createNamespace(client, "storage");
  operator = await startTestOperator(kubeconfig, ns, { resyncSeconds: "5" });
});

afterAll(async () => {
  await operator.handle.stop();
  client.close();
});

const apply = (name: string, spec: unknown) => applyMaieDeployments(kubeconfig, ns, [{ name, spec }]);

type Conditions = { type: string; status: string; reason: string; message: string }[];

async function condition(name: string, type: string) {
  const r = await client.request<{ status?: { conditions?: Conditions } }>(
    "GET",
    resourcePath(RESOURCE_TYPES.MaieDeployment, ns, name),
  );
  return r.status?.conditions?.find((c) => c.type === type);
}

describe("storage and specs the schema cannot catch", () => {
  test("a claim left Pending (no storage class, and the test cluster has no default StorageClass) is named in Progressing", async () => {
    await apply("nosc", { backup: { enabled: false } });
    const progressing = await eventually(
      async () => {
        const c = await condition("nosc", "Progressing");
        return c?.message.includes("not bound yet") === true ? c : undefined;
      },
      30_000,
      "Progressing to name the unbound claim",
    );
    expect(progressing.status).toBe("True");
    expect(progressing.message).toContain(
      "PersistentVolumeClaim(s) not bound yet: nosc-data (no storage class and no default StorageClass)",
    );
  });

  test("a PVC size increase reaches the bound claim (real PV binder; StorageClass allows expansion)", async () => {
    const sc = `expandable-${ns}`;
    await client.request("POST", "/apis/storage.k8s.io/v1/storageclasses", {
      body: {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: sc },
        provisioner: "kubernetes.io/no-provisioner",
        allowVolumeExpansion: true,
        volumeBindingMode: "Immediate",
      },
    });
    await client.request("POST", "/api/v1/persistentvolumes", {
      body: {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: `pv-${ns}` },
        spec: {
          capacity: { storage: "50Gi" },
          accessModes: ["ReadWriteOnce"],
          storageClassName: sc,
          hostPath: { path: `/tmp/${ns}` },
          persistentVolumeReclaimPolicy: "Retain",
        },
      },
    });
    await apply("grow", {
      backup: { enabled: false },
      storage: { data: { size: "10Gi", storageClassName: sc } },
    });
    const pvcPath = resourcePath(RESOURCE_TYPES.PersistentVolumeClaim, ns, "grow-data");
    await eventually(
      async () =>
        (await client.request<{ status?: { phase?: string } }>("GET", pvcPath).catch(() => undefined))?.status
          ?.phase === "Bound",
      60_000,
      "claim bound by the PV controller",
    );
    // Bound, it is no longer named (the PVC's status change brings the operator back).
    await eventually(
      async () => {
        const c = await condition("grow", "Progressing");
        return c !== undefined && !c.message.includes("grow-data");
      },
      30_000,
      "Progressing without the bound claim",
    );

    await apply("grow", {
      backup: { enabled: false },
      storage: { data: { size: "20Gi", storageClassName: sc } },
    });
    await eventually(
      async () => {
        const pvc = await client.request<{ spec: { resources: { requests: { storage: string } } } }>(
          "GET",
          pvcPath,
        );
        return pvc.spec.resources.requests.storage === "20Gi";
      },
      30_000,
      "claim resized to 20Gi",
    );
  });

  test("a size decrease is refused by Kubernetes and reported as Degraded/ApplyFailed, the claim keeps its size", async () => {
    const sc = `expandable-${ns}`;
    await apply("grow", {
      backup: { enabled: false },
      storage: { data: { size: "5Gi", storageClassName: sc } },
    });
    const degraded = await eventually(
      async () => {
        const r = await client.request<{
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        }>("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, "grow"));
        const c = r.status?.conditions?.find((x) => x.type === "Degraded");
        return c?.status === "True" ? c : undefined;
      },
      30_000,
      "Degraded condition",
    );
    expect(degraded.reason).toBe("ApplyFailed");
    expect(degraded.message).toContain("PersistentVolumeClaim/grow-data");
    const pvc = await client.request<{ spec: { resources: { requests: { storage: string } } } }>(
      "GET",
      resourcePath(RESOURCE_TYPES.PersistentVolumeClaim, ns, "grow-data"),
    );
    expect(pvc.spec.resources.requests.storage).toBe("20Gi");
    const events = await kubectl(kubeconfig, ["events", "-n", ns, "--for", "maiedeployment/grow"]);
    expect(events.stdout).toContain("ApplyFailed");
  });

  test("a spec the CRD accepts but the operator cannot use is reported as InvalidSpec, with no children and no retry loop", async () => {
    // Label keys are bounded by the operator's schema (Kubernetes' own 317-character limit), not by the CRD.
    await apply("odd", { podLabels: { ["k".repeat(400)]: "v" } });
    const ready = await eventually(
      async () => {
        const r = await client.request<{
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        }>("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, "odd"));
        return r.status?.conditions?.find((c) => c.type === "Ready");
      },
      30_000,
      "status",
    );
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready.message).toContain("spec.podLabels");
    const deployments = await client.request<{ items: KubeObject[] }>(
      "GET",
      resourcePath(RESOURCE_TYPES.Deployment, ns),
    );
    expect(deployments.items.map((d) => d.metadata.name)).not.toContain("odd");
  });

  test("an unknown pipeline.timeZone (the CRD only checks its shape) is InvalidSpec before any child is applied", async () => {
    await apply("tz", { pipeline: { timeZone: "Mars/Olympus" } });
    const ready = await eventually(
      async () => {
        const c = await condition("tz", "Ready");
        return c?.reason === "InvalidSpec" ? c : undefined;
      },
      30_000,
      "Ready/InvalidSpec",
    );
    expect(ready.message).toContain('spec.pipeline.timeZone: unknown time zone "Mars/Olympus"');
    for (const type of ["Deployment", "Service", "PersistentVolumeClaim"] as const) {
      const list = await client.request<{ items: KubeObject[] }>(
        "GET",
        resourcePath(RESOURCE_TYPES[type], ns),
      );
      expect(list.items.map((d) => d.metadata.name).filter((n) => n.startsWith("tz"))).toEqual([]);
    }
  });

  test("a spec whose children cannot be built (app container on the scorer's port) is InvalidSpec too, naming the field", async () => {
    await apply("clash", { app: { image: "example.com/maie-api:1", port: 8000 } });
    const ready = await eventually(
      async () => {
        const r = await client.request<{
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        }>("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, "clash"));
        return r.status?.conditions?.find((c) => c.type === "Ready");
      },
      30_000,
      "status",
    );
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready.message).toContain("spec.app.port");
  });
});

describe("objects the operator did not create are never taken over", () => {
  type Live = KubeObject & { metadata: { resourceVersion?: string } };
  const get = (type: keyof typeof RESOURCE_TYPES, name: string) =>
    client.request<Live>("GET", resourcePath(RESOURCE_TYPES[type], ns, name)).catch(() => undefined);

  test("a pre-existing Service and PVC of the children's names stay untouched (ChildConflict), the rest is applied, and survive deletion", async () => {
    const service = await client.request<Live>("POST", resourcePath(RESOURCE_TYPES.Service, ns), {
      body: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "taken", labels: { owner: "someone-else" } },
        spec: { ports: [{ name: "web", port: 80 }], selector: { app: "theirs" } },
      },
    });
    const pvc = await client.request<Live>("POST", resourcePath(RESOURCE_TYPES.PersistentVolumeClaim, ns), {
      body: {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "taken-data" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    });

    await apply("taken", { backup: { enabled: false } });
    const degraded = await eventually(
      async () => {
        const c = await condition("taken", "Degraded");
        return c?.reason === "ChildConflict" ? c : undefined;
      },
      30_000,
      "Degraded/ChildConflict",
    );
    expect(degraded.status).toBe("True");
    expect(degraded.message).toContain("Service/taken exists");
    expect(degraded.message).toContain("PersistentVolumeClaim/taken-data exists");
    await eventually(() => get("Deployment", "taken"), 30_000, "the other children applied");
    expect(await get("PersistentVolumeClaim", "taken-backups")).toBeUndefined(); // backups off: not desired

    // Another resync later, still untouched.
    await new Promise((r) => setTimeout(r, 6_000));
    for (const [type, before] of [
      ["Service", service],
      ["PersistentVolumeClaim", pvc],
    ] as const) {
      const now = await get(type, before.metadata.name);
      expect(now?.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(now?.metadata.ownerReferences).toBeUndefined();
    }
    const events = await kubectl(kubeconfig, ["events", "-n", ns, "--for", "maiedeployment/taken"]);
    expect(events.stdout).toContain("ChildConflict");

    await client.request("DELETE", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, "taken"));
    await eventually(
      async () => (await get("Deployment", "taken")) === undefined,
      60_000,
      "deployment garbage-collected",
    );
    expect((await get("Service", "taken"))?.metadata.uid).toBe(service.metadata.uid);
    expect((await get("PersistentVolumeClaim", "taken-data"))?.metadata.uid).toBe(pvc.metadata.uid);
  });
  test('with maie.io/adopt-pvcs: "true" a claim prepared by hand (a restore) is adopted: our labels applied, no conflict', async () => {
    const pvc = await client.request<Live>("POST", resourcePath(RESOURCE_TYPES.PersistentVolumeClaim, ns), {
      body: {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "restored-data" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
      },
    });
    await applyMaieDeployments(kubeconfig, ns, [
      {
        name: "restored",
        annotations: { "maie.io/adopt-pvcs": "true" },
        spec: { backup: { enabled: false } },
      },
    ]);
    const adopted = await eventually(
      async () => {
        const live = await get("PersistentVolumeClaim", "restored-data");
        return live?.metadata.labels?.["app.kubernetes.io/instance"] === "restored" ? live : undefined;
      },
      30_000,
      "the claim labelled by the operator",
    );
    expect(adopted.metadata.uid).toBe(pvc.metadata.uid);
    await eventually(
      async () => (await condition("restored", "Degraded"))?.reason === "AsExpected",
      30_000,
      "Degraded=False",
    );
  });
});
