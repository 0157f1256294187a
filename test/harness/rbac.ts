import type { KubeObject } from "../../src/kube/object.js";
import type { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { applyMaieDeployments, kubectlApply } from "./apply.js";
import { createNamespace, restClient, serviceAccountPodCredentials, sharedKubeconfig } from "./cluster.js";
import { eventually, startTestOperator, type TestOperator } from "./operator.js";

/**
 * The operator as its ServiceAccount on a real apiserver, for the tests of
 * the shipped RBAC (config/rbac cluster-wide, config/namespaced and Helm's
 * rbac.scope=namespace): the grants written out by hand, SubjectAccessReview
 * queries, and the resource whose reconcile needs every rule.
 */

/** Every verb a review asks about. */
export const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

const CHILD = ["get", "list", "watch", "create", "patch", "delete"];

/**
 * The verbs the shipped rules grant in the namespace they cover, per
 * "<group>/<resource>[/<subresource>]" ("" is the core group). Written out by
 * hand so that widening the rules fails the tests; [] for what the operator
 * must not touch at all.
 */
export const SHIPPED_GRANTS: Readonly<Record<string, readonly string[]>> = {
  "maie.io/maiedeployments": ["list", "watch"],
  "maie.io/maiedeployments/status": ["patch"],
  "maie.io/maiedeployments/finalizers": ["update"],
  "/serviceaccounts": CHILD,
  "/services": CHILD,
  "/configmaps": CHILD,
  "/persistentvolumeclaims": ["get", "list", "watch", "create", "patch"],
  "apps/deployments": CHILD,
  "batch/cronjobs": CHILD,
  "batch/jobs": ["list", "watch"],
  "networking.k8s.io/ingresses": CHILD,
  "networking.k8s.io/networkpolicies": CHILD,
  "autoscaling/horizontalpodautoscalers": CHILD,
  "policy/poddisruptionbudgets": CHILD,
  "monitoring.coreos.com/servicemonitors": CHILD,
  "monitoring.coreos.com/prometheusrules": CHILD,
  "events.k8s.io/events": ["create"],
  // The leader Lease.
  "coordination.k8s.io/leases": ["get", "create", "update"],
  "/secrets": [],
  // Listed to ask each scorer which model it serves (status.model).
  "/pods": ["list"],
  "/pods/exec": [],
  "/serviceaccounts/token": [],
  "/events": [],
  "/namespaces": [],
  "/nodes": [],
  "/persistentvolumes": [],
  "apps/replicasets": [],
  "apps/deployments/scale": [],
  "rbac.authorization.k8s.io/roles": [],
  "rbac.authorization.k8s.io/rolebindings": [],
  "rbac.authorization.k8s.io/clusterroles": [],
  "rbac.authorization.k8s.io/clusterrolebindings": [],
  "apiextensions.k8s.io/customresourcedefinitions": [],
  "admissionregistration.k8s.io/validatingwebhookconfigurations": [],
  "certificates.k8s.io/certificatesigningrequests": [],
};

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** Whether the apiserver allows the ServiceAccount `attributes` (resourceAttributes or nonResourceAttributes). */
export async function accessAllowed(
  admin: RestClient,
  sa: ServiceAccountRef,
  attributes: Record<string, unknown>,
): Promise<boolean> {
  const review = await admin.request<{ status: { allowed: boolean } }>(
    "POST",
    "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    {
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: `system:serviceaccount:${sa.namespace}:${sa.name}`,
          groups: [
            "system:serviceaccounts",
            `system:serviceaccounts:${sa.namespace}`,
            "system:authenticated",
          ],
          ...attributes,
        },
      },
    },
  );
  return review.status.allowed;
}

/** The VERBS the ServiceAccount may use on a SHIPPED_GRANTS key in `namespace` ("" asks cluster-wide). */
export async function grantedVerbs(
  admin: RestClient,
  sa: ServiceAccountRef,
  namespace: string,
  key: string,
): Promise<string[]> {
  const [group, resource, subresource] = key.split("/");
  const allowed = await Promise.all(
    VERBS.map((verb) =>
      accessAllowed(admin, sa, { resourceAttributes: { namespace, verb, group, resource, subresource } }),
    ),
  );
  return VERBS.filter((_, i) => allowed[i]);
}

/** A resource whose reconcile needs every rule: monitoring on, an Ingress (with auth), autoscaling. */
const FULL_SPEC = {
  monitoring: { serviceMonitor: { enabled: "Enabled" }, alerts: { enabled: "Enabled" } },
  scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
  ingress: { enabled: true, host: "maie.example.com" },
  autoscaling: { enabled: true },
};

export interface ReconciledStatus {
  readonly children: readonly { kind: string; applied: boolean }[];
  readonly conditions: readonly { type: string; status: string }[];
}

/** Applies the full resource as `name` in `namespace` and waits until the operator has reported its children. */
export async function reconcileFullResource(
  admin: RestClient,
  adminKubeconfig: string,
  namespace: string,
  name: string,
): Promise<ReconciledStatus> {
  await applyMaieDeployments(adminKubeconfig, namespace, [{ name, spec: FULL_SPEC }]);
  return eventually(
    async () => {
      const r = await admin.request<{ status?: Partial<ReconciledStatus> }>(
        "GET",
        resourcePath(RESOURCE_TYPES.MaieDeployment, namespace, name),
      );
      const { children = [], conditions = [] } = r.status ?? {};
      return children.length > 0 ? { children, conditions } : undefined;
    },
    60_000,
    "status written by the operator",
  );
}

/** The operator's ServiceAccount name in every install. */
export const OPERATOR_SERVICE_ACCOUNT = "maie-operator";

/** A namespace of the shared control plane where the operator runs as its ServiceAccount, bound to what a test applied. */
export interface OperatorUnderRbac {
  readonly admin: RestClient;
  readonly adminKubeconfig: string;
  readonly ns: string;
  readonly sa: ServiceAccountRef;
  readonly operator: TestOperator;
}

/**
 * Creates a namespace, applies as the admin what `rbacObjects(ns)` returns
 * (the ServiceAccount, its roles and bindings), then starts the operator
 * with a token of that ServiceAccount only, leader election on in `ns`.
 */
export async function startOperatorUnderRbac(
  prefix: string,
  rbacObjects: (ns: string) => Promise<KubeObject[]>,
): Promise<OperatorUnderRbac> {
  const adminKubeconfig = sharedKubeconfig();
  const admin = await restClient(adminKubeconfig);
  const ns = await createNamespace(admin, prefix);
  const sa = { namespace: ns, name: OPERATOR_SERVICE_ACCOUNT };
  await kubectlApply(adminKubeconfig, await rbacObjects(ns), { fieldManager: "rbac-test", force: true });
  // Credentials as the operator's pod has them, so these tests also take the in-cluster path of src/kube/in-cluster.ts.
  const credentials = await serviceAccountPodCredentials(admin, adminKubeconfig, ns, sa.name);
  const operator = await startTestOperator(credentials, ns, {
    leaderElection: "true",
    leaseNamespace: ns,
    identity: `${prefix}-test`,
  });
  return { admin, adminKubeconfig, ns, sa, operator };
}

export async function stopOperatorUnderRbac(t: OperatorUnderRbac | undefined): Promise<void> {
  await t?.operator.handle.stop();
  t?.admin.close();
}
