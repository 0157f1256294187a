import type { KubeObject } from "../../src/kube/object.js";
import { readYamlObjects } from "../../tools/cluster/install-crds.js";
import { findKind, helmTemplate, kustomizeBuild } from "../harness/manifests.js";
import {
  accessAllowed,
  grantedVerbs,
  OPERATOR_SERVICE_ACCOUNT as SA,
  reconcileFullResource,
  SHIPPED_GRANTS,
  startOperatorUnderRbac,
  stopOperatorUnderRbac,
  type OperatorUnderRbac,
} from "../harness/rbac.js";

/**
 * The namespace-scoped install (kustomize config/namespaced, Helm
 * rbac.scope=namespace): nothing cluster-scoped, the operator's rules as a
 * Role in the one namespace it watches. The operator runs as a
 * ServiceAccount bound only to that Role (from the kustomize build) and
 * reconciles a full resource there; a SubjectAccessReview matrix shows it
 * can do nothing anywhere else.
 */

let t: OperatorUnderRbac;
const CLUSTER_SCOPED = ["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"];

const env = (o: KubeObject) =>
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
  // The RBAC objects of the kustomize build, moved into this test's namespace. The operator
  // watches only that namespace, as MAIE_WATCH_NAMESPACE (the pod's own namespace) makes it in the overlay.
  t = await startOperatorUnderRbac("rbacns", async (ns) => {
    const rbacKinds = ["ServiceAccount", "Role", "RoleBinding"];
    const built = (await kustomizeBuild("config/namespaced")).filter((o) => rbacKinds.includes(o.kind));
    return built.map((o) => ({
      ...o,
      metadata: { ...o.metadata, namespace: ns },
      ...(o.kind === "RoleBinding"
        ? { subjects: (o["subjects"] as { namespace: string }[]).map((s) => ({ ...s, namespace: ns })) }
        : {}),
    }));
  });
});

afterAll(() => stopOperatorUnderRbac(t));

describe("namespace-scoped install", () => {
  test("config/namespaced and Helm rbac.scope=namespace install nothing cluster-scoped; the Role's rules are config/rbac/role.yaml's; the operator watches the Role's namespace", async () => {
    const [clusterRole] = await readYamlObjects("config/rbac/role.yaml");
    const rules = clusterRole?.["rules"];

    const built = await kustomizeBuild("config/namespaced");
    expect(built.map((o) => o.kind).sort()).toEqual(
      ["Deployment", "Role", "Role", "RoleBinding", "RoleBinding", "Service", "ServiceAccount"].sort(),
    );
    expect(built.filter((o) => CLUSTER_SCOPED.includes(o.kind))).toEqual([]);
    expect(built.every((o) => o.metadata.namespace === "maie-system")).toBe(true);
    expect(findKind(built, "Role", "maie-operator")["rules"]).toEqual(rules);
    const binding = findKind(built, "RoleBinding", "maie-operator");
    expect(binding["roleRef"]).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "maie-operator",
    });
    expect(binding["subjects"]).toEqual([{ kind: "ServiceAccount", name: SA, namespace: "maie-system" }]);
    expect(env(findKind(built, "Deployment"))).toContainEqual({
      name: "MAIE_WATCH_NAMESPACE",
      valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
    });

    const scoped = ["--set", "rbac.scope=namespace"];
    const rendered = await helmTemplate("maie", "tenant", scoped);
    expect(rendered.filter((o) => CLUSTER_SCOPED.includes(o.kind))).toEqual([]);
    const helmRole = findKind(rendered, "Role", "maie-maie-operator");
    expect(helmRole.metadata.namespace).toBe("tenant");
    expect(helmRole["rules"]).toEqual(rules);
    const helmBinding = findKind(rendered, "RoleBinding", "maie-maie-operator");
    expect(helmBinding.metadata.namespace).toBe("tenant");
    expect(helmBinding["roleRef"]).toMatchObject({ kind: "Role", name: "maie-maie-operator" });
    expect(env(findKind(rendered, "Deployment"))).toContainEqual({
      name: "MAIE_WATCH_NAMESPACE",
      value: "tenant",
    });
    // watchNamespace moves the Role (and what the operator watches) to another namespace.
    const other = await helmTemplate("maie", "tenant", [...scoped, "--set", "watchNamespace=apps"]);
    expect(findKind(other, "Role", "maie-maie-operator").metadata.namespace).toBe("apps");
    expect(env(findKind(other, "Deployment"))).toContainEqual({
      name: "MAIE_WATCH_NAMESPACE",
      value: "apps",
    });
  });

  test("reconciles a full resource (monitoring on) with only the namespaced Role: every child applied, status written, lease held, no 403", async () => {
    const status = await reconcileFullResource(t.admin, t.adminKubeconfig, t.ns, "rbacns");
    expect(status.children.filter((c) => !c.applied)).toEqual([]);
    expect(status.children.map((c) => c.kind)).toEqual(
      expect.arrayContaining(["Deployment", "NetworkPolicy", "Ingress", "ServiceMonitor", "PrometheusRule"]),
    );
    expect(status.conditions.find((c) => c.type === "Degraded")).toMatchObject({ status: "False" });
    expect(t.operator.handle.isLeader()).toBe(true);
    const text = await t.operator.handle.metrics.registry.metrics();
    expect(text).toMatch(/maie_operator_api_requests_total\{verb="PATCH",code="20\d"\}/);
    expect(text).not.toMatch(/maie_operator_api_requests_total\{verb="\w+",code="403"\}/);
  });

  test("the grants (SubjectAccessReview): as shipped in the watched namespace, nothing in another namespace or cluster-wide; API discovery allowed", async () => {
    const { admin, ns, sa } = t;
    const got: Record<string, { here: string[]; elsewhere: string[]; clusterWide: string[] }> = {};
    for (const key of Object.keys(SHIPPED_GRANTS)) {
      got[key] = {
        here: await grantedVerbs(admin, sa, ns, key),
        elsewhere: await grantedVerbs(admin, sa, "kube-system", key),
        clusterWide: await grantedVerbs(admin, sa, "", key),
      };
    }
    expect(got).toEqual(
      Object.fromEntries(
        Object.entries(SHIPPED_GRANTS).map(([k, here]) => [k, { here, elsewhere: [], clusterWide: [] }]),
      ),
    );
    // Capability discovery reads /apis/monitoring.coreos.com/v1: open to every authenticated user (system:discovery).
    expect(
      await accessAllowed(admin, sa, {
        nonResourceAttributes: { path: "/apis/monitoring.coreos.com/v1", verb: "get" },
      }),
    ).toBe(true);
  });
});
