import { stringify } from "yaml";
import type { KubeObject } from "../../src/kube/object.js";
import type { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { createNamespace, kubectl, restClient, sharedKubeconfig } from "../harness/cluster.js";
import { eventually, startTestOperator, type TestOperator } from "../harness/operator.js";

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

async function apply(name: string, spec: unknown) {
  const out = await kubectl(
    kubeconfig,
    ["apply", "--server-side", "-n", ns, "-f", "-"],
    stringify({ apiVersion: "maie.io/v1alpha1", kind: "MaieDeployment", metadata: { name }, spec }),
  );
  if (out.code !== 0) throw new Error(out.stderr);
}

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
