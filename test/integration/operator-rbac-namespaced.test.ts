import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { readYamlObjects } from "../../tools/cluster/install-crds.js";
import { binary } from "../../tools/cluster/paths.js";
import type { KubeObject } from "../../src/kube/object.js";
import { APPLY_PATCH, type RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import {
  createNamespace,
  kubectl,
  restClient,
  serviceAccountKubeconfig,
  sharedKubeconfig,
} from "../harness/cluster.js";
import { builtKubernetesVersion } from "../harness/kube-version.js";
import { eventually, startTestOperator, type TestOperator } from "../harness/operator.js";

/**
 * The namespace-scoped install (kustomize config/namespaced, Helm
 * rbac.scope=namespace): nothing cluster-scoped, the operator's rules as a
 * Role in the one namespace it watches. The operator runs as a
 * ServiceAccount bound only to that Role (from the kustomize build) and
 * reconciles a full resource there; a SubjectAccessReview matrix shows it
 * can do nothing anywhere else.
 */

type Obj = KubeObject & Record<string, unknown>;

let admin: RestClient;
let adminKubeconfig: string;
let ns: string;
let operator: TestOperator;
const SA = "maie-operator";
const CLUSTER_SCOPED = ["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"];

function parseObjects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

async function kustomizeBuild(): Promise<Obj[]> {
  const out = await kubectl(adminKubeconfig, ["kustomize", "config/namespaced"]);
  expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: "" });
  return parseObjects(out.stdout);
}

async function helmTemplate(namespace: string, extra: readonly string[] = []): Promise<Obj[]> {
  const home = await mkdtemp(join(tmpdir(), "maie-helm-"));
  const args = [
    "template",
    "maie",
    "config/helm/maie-operator",
    "--namespace",
    namespace,
    "--kube-version",
    builtKubernetesVersion(),
    "--set",
    "rbac.scope=namespace",
    ...extra,
  ];
  const env = { ...process.env, HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home };
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(binary("helm"), args, { env, maxBuffer: 32 * 1024 * 1024 }, (err, out, stderr) =>
      err === null ? resolve(out) : reject(new Error(`helm ${args.join(" ")}: ${stderr}`)),
    ),
  );
  return parseObjects(stdout);
}

async function applyAsAdmin(obj: KubeObject, plural: string): Promise<void> {
  const [group, version] = obj.apiVersion.split("/");
  const base = group === "v1" ? "/api/v1" : `/apis/${group}/${version}`;
  await admin.request("PATCH", `${base}/namespaces/${ns}/${plural}/${obj.metadata.name}`, {
    body: obj,
    contentType: APPLY_PATCH,
    query: { fieldManager: "rbac-test", force: true },
  });
}

const env = (o: Obj) =>
  (
    o as unknown as {
      spec: {
        template: {
          spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[] }[] };
        };
      };
    }
  ).spec.template.spec.containers[0]!.env;

beforeAll(async () => {
  adminKubeconfig = sharedKubeconfig();
  admin = await restClient(adminKubeconfig);
  ns = await createNamespace(admin, "rbacns");

  // The RBAC objects of the kustomize build, moved into this test's namespace.
  const objs = await kustomizeBuild();
  const plural: Record<string, string> = {
    ServiceAccount: "serviceaccounts",
    Role: "roles",
    RoleBinding: "rolebindings",
  };
  for (const o of objs.filter((x) => plural[x.kind] !== undefined)) {
    const moved = { ...o, metadata: { ...o.metadata, namespace: ns } } as Obj;
    if (o.kind === "RoleBinding") {
      moved["subjects"] = (o["subjects"] as { namespace: string }[]).map((s) => ({ ...s, namespace: ns }));
    }
    await applyAsAdmin(moved, plural[o.kind]!);
  }

  const kubeconfig = await serviceAccountKubeconfig(admin, adminKubeconfig, ns, SA);
  // Watching only ns, as MAIE_WATCH_NAMESPACE (the pod's own namespace) makes it in the overlay.
  operator = await startTestOperator(kubeconfig, ns, {
    leaderElection: "true",
    leaseNamespace: ns,
    identity: "rbacns-test",
  });
});

afterAll(async () => {
  await operator?.handle.stop();
  admin.close();
});

describe("namespace-scoped install", () => {
  test("config/namespaced and Helm rbac.scope=namespace install nothing cluster-scoped; the Role's rules are config/rbac/role.yaml's; the operator watches the Role's namespace", async () => {
    const [clusterRole] = await readYamlObjects("config/rbac/role.yaml");
    const rules = (clusterRole as unknown as Obj)["rules"];

    const built = await kustomizeBuild();
    expect(built.map((o) => o.kind).sort()).toEqual(
      ["Deployment", "Role", "Role", "RoleBinding", "RoleBinding", "Service", "ServiceAccount"].sort(),
    );
    expect(built.filter((o) => CLUSTER_SCOPED.includes(o.kind))).toEqual([]);
    expect(built.every((o) => o.metadata.namespace === "maie-system")).toBe(true);
    const role = built.find((o) => o.kind === "Role" && o.metadata.name === "maie-operator")!;
    expect(role["rules"]).toEqual(rules);
    const binding = built.find((o) => o.kind === "RoleBinding" && o.metadata.name === "maie-operator")!;
    expect(binding["roleRef"]).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "maie-operator",
    });
    expect(binding["subjects"]).toEqual([{ kind: "ServiceAccount", name: SA, namespace: "maie-system" }]);
    expect(env(built.find((o) => o.kind === "Deployment")!)).toContainEqual({
      name: "MAIE_WATCH_NAMESPACE",
      valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
    });

    const rendered = await helmTemplate("tenant");
    expect(rendered.filter((o) => CLUSTER_SCOPED.includes(o.kind))).toEqual([]);
    const helmRole = rendered.find((o) => o.kind === "Role" && o.metadata.name === "maie-maie-operator")!;
    expect(helmRole.metadata.namespace).toBe("tenant");
    expect(helmRole["rules"]).toEqual(rules);
    const helmBinding = rendered.find(
      (o) => o.kind === "RoleBinding" && o.metadata.name === "maie-maie-operator",
    )!;
    expect(helmBinding.metadata.namespace).toBe("tenant");
    expect(helmBinding["roleRef"]).toMatchObject({ kind: "Role", name: "maie-maie-operator" });
    expect(env(rendered.find((o) => o.kind === "Deployment")!)).toContainEqual({
      name: "MAIE_WATCH_NAMESPACE",
      value: "tenant",
    });
    // watchNamespace moves the Role (and what the operator watches) to another namespace.
    const other = await helmTemplate("tenant", ["--set", "watchNamespace=apps"]);
    expect(
      other.find((o) => o.kind === "Role" && o.metadata.name === "maie-maie-operator")!.metadata.namespace,
    ).toBe("apps");
    expect(env(other.find((o) => o.kind === "Deployment")!)).toContainEqual({
      name: "MAIE_WATCH_NAMESPACE",
      value: "apps",
    });
  });

  test("reconciles a full resource (monitoring on) with only the namespaced Role: every child applied, status written, lease held, no 403", async () => {
    const spec = {
      monitoring: { serviceMonitor: { enabled: "true" }, alerts: { enabled: "true" } },
      scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
      ingress: { enabled: true, host: "maie.example.com" },
      autoscaling: { enabled: true },
    };
    const out = await kubectl(
      adminKubeconfig,
      ["apply", "--server-side", "-n", ns, "-f", "-"],
      stringify({
        apiVersion: "maie.io/v1alpha1",
        kind: "MaieDeployment",
        metadata: { name: "rbacns" },
        spec,
      }),
    );
    expect(out.code).toBe(0);
    const status = await eventually(
      async () => {
        const r = await admin.request<{
          status?: {
            children?: { kind: string; applied: boolean }[];
            conditions?: { type: string; status: string }[];
          };
        }>("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, "rbacns"));
        return (r.status?.children?.length ?? 0) > 0 ? r.status : undefined;
      },
      60_000,
      "status written by the operator",
    );
    expect(status?.children?.filter((c) => !c.applied)).toEqual([]);
    expect(status?.children?.map((c) => c.kind)).toEqual(
      expect.arrayContaining(["Deployment", "NetworkPolicy", "Ingress", "ServiceMonitor", "PrometheusRule"]),
    );
    expect(status?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "False" });
    expect(operator.handle.isLeader()).toBe(true);
    const text = await operator.handle.metrics.registry.metrics();
    expect(text).toMatch(/maie_operator_api_requests_total\{verb="PATCH",code="20\d"\}/);
    expect(text).not.toMatch(/maie_operator_api_requests_total\{verb="\w+",code="403"\}/);
  });

  test("the grants (SubjectAccessReview): as shipped in the watched namespace, nothing in another namespace or cluster-wide; API discovery allowed", async () => {
    const verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
    const children = ["get", "list", "watch", "create", "patch", "delete"];
    // Written out by hand, so that widening the Role fails this test.
    const expected: Record<string, string[]> = {
      "maie.io/maiedeployments": ["list", "watch"],
      "maie.io/maiedeployments/status": ["patch"],
      "maie.io/maiedeployments/finalizers": ["update"],
      "/serviceaccounts": children,
      "/services": children,
      "/configmaps": children,
      "/persistentvolumeclaims": ["get", "list", "watch", "create", "patch"],
      "apps/deployments": children,
      "batch/cronjobs": children,
      "batch/jobs": ["list", "watch"],
      "networking.k8s.io/ingresses": children,
      "networking.k8s.io/networkpolicies": children,
      "autoscaling/horizontalpodautoscalers": children,
      "policy/poddisruptionbudgets": children,
      "monitoring.coreos.com/servicemonitors": children,
      "monitoring.coreos.com/prometheusrules": children,
      "events.k8s.io/events": ["create"],
      "coordination.k8s.io/leases": ["get", "create", "update"],
      "/secrets": [],
      "/pods": [],
      "/namespaces": [],
      "/nodes": [],
      "rbac.authorization.k8s.io/roles": [],
      "rbac.authorization.k8s.io/rolebindings": [],
      "rbac.authorization.k8s.io/clusterroles": [],
      "apiextensions.k8s.io/customresourcedefinitions": [],
    };
    const user = {
      user: `system:serviceaccount:${ns}:${SA}`,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
    };
    const review = async (attributes: Record<string, unknown>): Promise<boolean> =>
      (
        await admin.request<{ status: { allowed: boolean } }>(
          "POST",
          "/apis/authorization.k8s.io/v1/subjectaccessreviews",
          {
            body: {
              apiVersion: "authorization.k8s.io/v1",
              kind: "SubjectAccessReview",
              spec: { ...user, ...attributes },
            },
          },
        )
      ).status.allowed;
    const granted = async (namespace: string, key: string): Promise<string[]> => {
      const [group, resource, subresource] = key.split("/") as [string, string, string | undefined];
      const allowed = await Promise.all(
        verbs.map((verb) =>
          review({ resourceAttributes: { namespace, verb, group, resource, subresource } }),
        ),
      );
      return verbs.filter((_, i) => allowed[i]);
    };
    const got: Record<string, { here: string[]; elsewhere: string[]; clusterWide: string[] }> = {};
    for (const key of Object.keys(expected)) {
      got[key] = {
        here: await granted(ns, key),
        elsewhere: await granted("kube-system", key),
        clusterWide: await granted("", key),
      };
    }
    expect(got).toEqual(
      Object.fromEntries(
        Object.entries(expected).map(([k, here]) => [k, { here, elsewhere: [], clusterWide: [] }]),
      ),
    );
    // Capability discovery reads /apis/monitoring.coreos.com/v1: open to every authenticated user (system:discovery).
    expect(
      await review({ nonResourceAttributes: { path: "/apis/monitoring.coreos.com/v1", verb: "get" } }),
    ).toBe(true);
  });
});
