import { stringify } from "yaml";
import { readYamlObjects } from "../../tools/cluster/install-crds.js";
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
import { eventually, startTestOperator, type TestOperator } from "../harness/operator.js";

/** The operator running as a ServiceAccount bound only to config/rbac: the role is sufficient, and no wider than it must be. */

let admin: RestClient;
let adminKubeconfig: string;
let ns: string;
let operator: TestOperator;
const SA = "maie-operator";

async function applyAsAdmin(obj: KubeObject, plural: string, namespaced: boolean): Promise<void> {
  const [group, version] = obj.apiVersion.split("/");
  const base = `/apis/${group}/${version}`;
  const path = namespaced
    ? `${base}/namespaces/${ns}/${plural}/${obj.metadata.name}`
    : `${base}/${plural}/${obj.metadata.name}`;
  await admin.request("PATCH", path, {
    body: obj,
    contentType: APPLY_PATCH,
    query: { fieldManager: "rbac-test", force: true },
  });
}

beforeAll(async () => {
  adminKubeconfig = sharedKubeconfig();
  admin = await restClient(adminKubeconfig);
  ns = await createNamespace(admin, "rbac");
  await admin.request("POST", resourcePath(RESOURCE_TYPES.ServiceAccount, ns), {
    body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA } },
  });

  // The role files as shipped; bindings point at this test's namespace.
  const [clusterRole] = await readYamlObjects("config/rbac/role.yaml");
  const [leaseRole] = await readYamlObjects("config/rbac/leader-election-role.yaml");
  await applyAsAdmin(clusterRole!, "clusterroles", false);
  await applyAsAdmin({ ...leaseRole!, metadata: { ...leaseRole!.metadata, namespace: ns } }, "roles", true);
  const subject = [{ kind: "ServiceAccount", name: SA, namespace: ns }];
  await applyAsAdmin(
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `maie-operator-${ns}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "maie-operator" },
      subjects: subject,
    },
    "clusterrolebindings",
    false,
  );
  await applyAsAdmin(
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "maie-operator-leader-election", namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "maie-operator-leader-election" },
      subjects: subject,
    },
    "rolebindings",
    true,
  );

  const kubeconfig = await serviceAccountKubeconfig(admin, adminKubeconfig, ns, SA);
  operator = await startTestOperator(kubeconfig, ns, {
    leaderElection: "true",
    leaseNamespace: ns,
    identity: "rbac-test",
  });
});

afterAll(async () => {
  await operator.handle.stop();
  admin.close();
});

describe("the operator under its own RBAC", () => {
  test("reconciles a full resource (monitoring on) with only the shipped role: every child applied, status written, lease held", async () => {
    const spec = {
      monitoring: { serviceMonitor: { enabled: "true" }, alerts: { enabled: "true" } },
      scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
      ingress: { enabled: true, host: "maie.example.com" },
      autoscaling: { enabled: true },
    };
    const out = await kubectl(
      adminKubeconfig,
      ["apply", "--server-side", "-n", ns, "-f", "-"],
      stringify({ apiVersion: "maie.io/v1alpha1", kind: "MaieDeployment", metadata: { name: "rbac" }, spec }),
    );
    expect(out.code).toBe(0);
    const status = await eventually(
      async () => {
        const r = await admin.request<{
          status?: {
            children?: { kind: string; applied: boolean }[];
            conditions?: { type: string; status: string; reason: string; message: string }[];
          };
        }>("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, "rbac"));
        return (r.status?.children?.length ?? 0) > 0 ? r.status : undefined;
      },
      60_000,
      "status written by the operator",
    );
    expect(status?.children?.filter((c) => !c.applied)).toEqual([]);
    expect(status?.children?.map((c) => c.kind)).toEqual(
      expect.arrayContaining(["Ingress", "HorizontalPodAutoscaler", "ServiceMonitor", "PrometheusRule"]),
    );
    expect(status?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "False" });
    expect(operator.handle.isLeader()).toBe(true);
  });

  test("the operator's ServiceAccount cannot read Secrets", async () => {
    for (const verb of ["get", "list", "watch"]) {
      const out = await kubectl(adminKubeconfig, [
        "auth",
        "can-i",
        verb,
        "secrets",
        "-n",
        ns,
        `--as=system:serviceaccount:${ns}:${SA}`,
      ]);
      expect(out.stdout.trim()).toBe("no");
    }
    const pvcDelete = await kubectl(adminKubeconfig, [
      "auth",
      "can-i",
      "delete",
      "persistentvolumeclaims",
      "-n",
      ns,
      `--as=system:serviceaccount:${ns}:${SA}`,
    ]);
    expect(pvcDelete.stdout.trim()).toBe("no");
  });

  test("the role is sufficient: no request of the operator was refused (403) during the full reconcile", async () => {
    const text = await operator.handle.metrics.registry.metrics();
    expect(text).toMatch(/maie_operator_api_requests_total\{verb="PATCH",code="20\d"\}/);
    expect(text).not.toMatch(/maie_operator_api_requests_total\{verb="\w+",code="403"\}/);
  });

  test("the role is exact: every verb on every relevant resource, here and in another namespace, is allowed only as shipped (SubjectAccessReview)", async () => {
    const other = "kube-system";
    const verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
    const all = (...v: string[]) => v;
    const children = all("get", "list", "watch", "create", "patch", "delete");
    // The expected grants, written out by hand so that widening config/rbac fails this test.
    const expected: Record<string, { here: string[]; elsewhere?: string[] }> = {
      "maie.io/maiedeployments": { here: all("list", "watch") },
      "maie.io/maiedeployments/status": { here: all("patch") },
      "maie.io/maiedeployments/finalizers": { here: all("update") },
      "/serviceaccounts": { here: children },
      "/services": { here: children },
      "/configmaps": { here: children },
      "/persistentvolumeclaims": { here: all("get", "list", "watch", "create", "patch") },
      "apps/deployments": { here: children },
      "batch/cronjobs": { here: children },
      "batch/jobs": { here: all("list", "watch") },
      "networking.k8s.io/ingresses": { here: children },
      "networking.k8s.io/networkpolicies": { here: children },
      "autoscaling/horizontalpodautoscalers": { here: children },
      "policy/poddisruptionbudgets": { here: children },
      "monitoring.coreos.com/servicemonitors": { here: children },
      "monitoring.coreos.com/prometheusrules": { here: children },
      "events.k8s.io/events": { here: all("create") },
      // The leader Lease: only in the operator's own namespace.
      "coordination.k8s.io/leases": { here: all("get", "create", "update"), elsewhere: [] },
      // Nothing at all on these.
      "/secrets": { here: [] },
      "/pods": { here: [] },
      "/pods/exec": { here: [] },
      "/serviceaccounts/token": { here: [] },
      "/events": { here: [] },
      "/namespaces": { here: [] },
      "/nodes": { here: [] },
      "/persistentvolumes": { here: [] },
      "apps/replicasets": { here: [] },
      "apps/deployments/scale": { here: [] },
      "rbac.authorization.k8s.io/roles": { here: [] },
      "rbac.authorization.k8s.io/rolebindings": { here: [] },
      "rbac.authorization.k8s.io/clusterroles": { here: [] },
      "rbac.authorization.k8s.io/clusterrolebindings": { here: [] },
      "apiextensions.k8s.io/customresourcedefinitions": { here: [] },
      "admissionregistration.k8s.io/validatingwebhookconfigurations": { here: [] },
      "certificates.k8s.io/certificatesigningrequests": { here: [] },
    };
    const allowed = async (namespace: string, verb: string, key: string): Promise<boolean> => {
      const [group, resource, subresource] = key.split("/") as [string, string, string | undefined];
      const review = await admin.request<{ status: { allowed: boolean } }>(
        "POST",
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        {
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview",
            spec: {
              user: `system:serviceaccount:${ns}:${SA}`,
              groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
              resourceAttributes: { namespace, verb, group, resource, subresource },
            },
          },
        },
      );
      return review.status.allowed;
    };
    const granted: Record<string, { here: string[]; elsewhere: string[] }> = {};
    for (const key of Object.keys(expected)) {
      const here = await Promise.all(verbs.map((v) => allowed(ns, v, key)));
      const elsewhere = await Promise.all(verbs.map((v) => allowed(other, v, key)));
      granted[key] = {
        here: verbs.filter((_, i) => here[i]),
        elsewhere: verbs.filter((_, i) => elsewhere[i]),
      };
    }
    // A ClusterRole: children are managed in every namespace the operator watches, the Lease only in its own.
    const want = Object.fromEntries(
      Object.entries(expected).map(([k, v]) => [k, { here: v.here, elsewhere: v.elsewhere ?? v.here }]),
    );
    expect(granted).toEqual(want);
  });
});
