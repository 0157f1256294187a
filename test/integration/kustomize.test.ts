import { execFile } from "node:child_process";
import { parseAllDocuments } from "yaml";
import { CRD_FILE } from "../../src/api/group.js";
import { readYamlObjects } from "../../src/controlplane/install-crds.js";
import { binary } from "../../src/controlplane/paths.js";
import type { RestClient } from "../../src/kube/rest.js";
import { createNamespace, kubectl, restClient, sharedKubeconfig } from "../harness/cluster.js";
import { eventually } from "../harness/operator.js";

/**
 * The kustomize bases under config/ with the real kubectl (its built-in
 * kustomize): config/default builds and applies cleanly (server-side) to the
 * shared control plane, as do config/prometheus and config/samples; the
 * manager's pod is the one the Helm chart renders.
 */

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}
interface PodTemplateSpec {
  spec: { selector: { matchLabels: Record<string, string> }; template: { spec: Record<string, unknown> } };
}

let kubeconfig: string;
let admin: RestClient;

function parseObjects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

async function build(dir: string): Promise<Obj[]> {
  const out = await kubectl(kubeconfig, ["kustomize", dir]);
  expect({ dir, code: out.code, stderr: out.stderr }).toEqual({ dir, code: 0, stderr: "" });
  return parseObjects(out.stdout);
}

function find(objs: readonly Obj[], kind: string): Obj {
  const o = objs.find((x) => x.kind === kind);
  if (o === undefined) throw new Error(`no ${kind} in the build`);
  return o;
}

async function expectExists(objs: readonly Obj[], namespace?: string): Promise<void> {
  for (const o of objs) {
    const ns = o.metadata.namespace ?? namespace;
    const out = await kubectl(kubeconfig, [
      "get",
      `${o.kind}.${o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : ""}`.replace(/\.$/, ""),
      o.metadata.name,
      ...(ns !== undefined && o.kind !== "Namespace" && o.kind !== "CustomResourceDefinition"
        ? ["-n", ns]
        : []),
      "-o",
      "name",
    ]);
    expect({ kind: o.kind, name: o.metadata.name, code: out.code, stderr: out.stderr }).toEqual({
      kind: o.kind,
      name: o.metadata.name,
      code: 0,
      stderr: "",
    });
  }
}

async function applyDir(dir: string, namespace?: string): Promise<string> {
  const out = await kubectl(kubeconfig, [
    "apply",
    "--server-side",
    ...(namespace !== undefined ? ["-n", namespace] : []),
    "-k",
    dir,
  ]);
  expect({ dir, code: out.code, stderr: out.stderr }).toEqual({ dir, code: 0, stderr: "" });
  return out.stdout;
}

beforeAll(async () => {
  kubeconfig = sharedKubeconfig();
  admin = await restClient(kubeconfig);
});

afterAll(() => {
  admin.close();
});

describe("kustomize config", () => {
  test("kubectl kustomize config/default builds: CRD, shipped RBAC and the manager, all in maie-system", async () => {
    const objs = await build("config/default");
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        "ClusterRole/maie-operator",
        "ClusterRoleBinding/maie-operator",
        "CustomResourceDefinition/maiedeployments.maie.io",
        "Deployment/maie-operator",
        "Namespace/maie-system",
        "Role/maie-operator-leader-election",
        "RoleBinding/maie-operator-leader-election",
        "Service/maie-operator-metrics",
        "ServiceAccount/maie-operator",
      ].sort(),
    );
    for (const o of objs)
      if (!["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"].includes(o.kind))
        expect({ kind: o.kind, ns: o.metadata.namespace }).toEqual({ kind: o.kind, ns: "maie-system" });

    const [crd] = await readYamlObjects(CRD_FILE);
    expect(find(objs, "CustomResourceDefinition")).toEqual(crd);
    const [role] = await readYamlObjects("config/rbac/role.yaml");
    expect(find(objs, "ClusterRole")["rules"]).toEqual((role as unknown as Obj)["rules"]);
  });

  test("config/manager's pod is the pod the Helm chart renders with its default values", async () => {
    const objs = await build("config/default");
    const helm = await new Promise<string>((resolve, reject) => {
      execFile(
        binary("helm"),
        ["template", "maie-operator", "config/helm/maie-operator", "--namespace", "maie-system"],
        { maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => (err === null ? resolve(stdout) : reject(new Error(stderr))),
      );
    });
    const fromHelm = find(parseObjects(helm), "Deployment") as unknown as PodTemplateSpec;
    const fromKustomize = find(objs, "Deployment") as unknown as PodTemplateSpec;
    expect(fromKustomize.spec.template.spec).toEqual(fromHelm.spec.template.spec);
    expect(fromKustomize.spec.selector).toEqual(fromHelm.spec.selector);
    expect(find(objs, "Service")["spec"]).toEqual(find(parseObjects(helm), "Service")["spec"]);
  });

  test("kubectl apply --server-side -k config/default applies cleanly, twice; every object exists and the pods pass restricted Pod Security", async () => {
    const objs = await build("config/default");
    await applyDir("config/default");
    await expectExists(objs);
    // Re-applying is clean (no conflicts, nothing rejected).
    await applyDir("config/default");

    // No kubelet here, but the ReplicaSet controller creates the pods, which
    // the PodSecurity admission (enforce=restricted on maie-system) admits.
    const pods = await eventually(
      async () => {
        const r = await admin.request<{ items: { metadata: { name: string } }[] }>(
          "GET",
          "/api/v1/namespaces/maie-system/pods",
          { query: { labelSelector: "app.kubernetes.io/name=maie,app.kubernetes.io/component=operator" } },
        );
        return r.items.length === 2 ? r.items : undefined;
      },
      60_000,
      "2 operator pods created in maie-system",
    );
    expect(pods).toHaveLength(2);
    const ns = await admin.request<{ metadata: { labels: Record<string, string> } }>(
      "GET",
      "/api/v1/namespaces/maie-system",
    );
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    // ... and the admission is real: a plain pod is refused there.
    const plain = await kubectl(kubeconfig, [
      "run",
      "plain",
      "--image=busybox",
      "-n",
      "maie-system",
      "--dry-run=server",
    ]);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/violates PodSecurity "restricted/);
  });

  test("config/prometheus (the operator's ServiceMonitor) applies where the Prometheus Operator CRDs exist", async () => {
    const objs = await build("config/prometheus");
    expect(objs.map((o) => [o.kind, o.metadata.namespace])).toEqual([["ServiceMonitor", "maie-system"]]);
    await applyDir("config/prometheus");
    await expectExists(objs);
  });

  test("config/samples applies into a namespace", async () => {
    const objs = await build("config/samples");
    expect(objs.map((o) => o.kind)).toEqual(["MaieDeployment"]);
    const ns = await createNamespace(admin, "kustomize");
    await applyDir("config/samples", ns);
    await expectExists(objs, ns);
  });
});
