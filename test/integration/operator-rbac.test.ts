import { readYamlObjects } from "../../tools/cluster/install-crds.js";
import { kubectl } from "../harness/cluster.js";
import {
  grantedVerbs,
  OPERATOR_SERVICE_ACCOUNT as SA,
  reconcileFullResource,
  SHIPPED_GRANTS,
  startOperatorUnderRbac,
  stopOperatorUnderRbac,
  type OperatorUnderRbac,
} from "../harness/rbac.js";

/** The operator running as a ServiceAccount bound only to config/rbac: the role is sufficient, and no wider than it must be. */

let t: OperatorUnderRbac;

beforeAll(async () => {
  t = await startOperatorUnderRbac("rbac", async (ns) => {
    // The role files as shipped; bindings point at this test's namespace.
    const [clusterRole] = await readYamlObjects("config/rbac/role.yaml");
    const [leaseRole] = await readYamlObjects("config/rbac/leader-election-role.yaml");
    if (clusterRole === undefined || leaseRole === undefined) throw new Error("config/rbac lacks its roles");
    const subjects = [{ kind: "ServiceAccount", name: SA, namespace: ns }];
    return [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA, namespace: ns } },
      clusterRole,
      { ...leaseRole, metadata: { ...leaseRole.metadata, namespace: ns } },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: `maie-operator-${ns}` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "maie-operator" },
        subjects,
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "maie-operator-leader-election", namespace: ns },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "Role",
          name: "maie-operator-leader-election",
        },
        subjects,
      },
    ];
  });
});

afterAll(() => stopOperatorUnderRbac(t));

describe("the operator under its own RBAC", () => {
  test("reconciles a full resource (monitoring on) with only the shipped role: every child applied, status written, lease held", async () => {
    const status = await reconcileFullResource(t.admin, t.adminKubeconfig, t.ns, "rbac");
    expect(status.children.filter((c) => !c.applied)).toEqual([]);
    expect(status.children.map((c) => c.kind)).toEqual(
      expect.arrayContaining(["Ingress", "HorizontalPodAutoscaler", "ServiceMonitor", "PrometheusRule"]),
    );
    expect(status.conditions.find((c) => c.type === "Degraded")).toMatchObject({ status: "False" });
    expect(t.operator.handle.isLeader()).toBe(true);
  });

  test("the operator's ServiceAccount cannot read Secrets", async () => {
    const { adminKubeconfig, ns } = t;
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
    const text = await t.operator.handle.metrics.registry.metrics();
    expect(text).toMatch(/maie_operator_api_requests_total\{verb="PATCH",code="20\d"\}/);
    expect(text).not.toMatch(/maie_operator_api_requests_total\{verb="\w+",code="403"\}/);
  });

  test("the role is exact: every verb on every relevant resource, here and in another namespace, is allowed only as shipped (SubjectAccessReview)", async () => {
    const { admin, ns, sa } = t;
    const granted: Record<string, { here: string[]; elsewhere: string[] }> = {};
    for (const key of Object.keys(SHIPPED_GRANTS))
      granted[key] = {
        here: await grantedVerbs(admin, sa, ns, key),
        elsewhere: await grantedVerbs(admin, sa, "kube-system", key),
      };
    // A ClusterRole: children are managed in every namespace the operator watches; the Lease (a Role) only in its own.
    const want = Object.fromEntries(
      Object.entries(SHIPPED_GRANTS).map(([key, here]) => [
        key,
        { here, elsewhere: key === "coordination.k8s.io/leases" ? [] : here },
      ]),
    );
    expect(granted).toEqual(want);
  });
});
