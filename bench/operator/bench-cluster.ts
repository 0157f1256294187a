/**
 * What the operator benchmarks share: a control plane with our CRD and the
 * Prometheus Operator's, a bounded-concurrency runner, bulk creation of
 * MaieDeployments, the children the operator would apply for one, a warm-up
 * and progress lines.
 */
import { ControlPlane } from "../../tools/cluster/controlplane.js";
import { installCrds, prometheusOperatorCrds, readYamlObjects } from "../../tools/cluster/install-crds.js";
import { parseMaieDeployment } from "../../src/api/parse.js";
import { desiredChildren } from "../../src/desired/children.js";
import type { DesiredContext } from "../../src/desired/meta.js";
import { APPLY_PATCH, RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath, resourceType } from "../../src/kube/resources.js";
import type { KubeObject } from "../../src/kube/object.js";
import { serviceAccountPodCredentials, type PodCredentials } from "../../test/harness/cluster.js";

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

/** etcd + kube-apiserver (no controller manager: no pods), both CRD sets installed. */
export async function startBenchCluster(
  log: (m: string) => void,
): Promise<{ cp: ControlPlane; client: RestClient; kubeconfig: string }> {
  const cp = await ControlPlane.start({ controllerManager: false, log });
  const client = await RestClient.fromKubeconfigFile(cp.kubeconfigPath);
  await installCrds(client, [
    ...(await readYamlObjects("crds/maie.io_maiedeployments.yaml")),
    ...(await prometheusOperatorCrds()),
  ]);
  return { cp, client, kubeconfig: cp.kubeconfigPath };
}

/** Creates `count` MaieDeployments named `${prefix}${i}`, 16 requests in flight. */
export async function createMaieDeployments(
  client: RestClient,
  namespace: string,
  count: number,
  prefix: string,
  spec: (i: number) => object,
): Promise<void> {
  await pool(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      await client.request("POST", resourcePath(RESOURCE_TYPES.MaieDeployment, namespace), {
        body: {
          apiVersion: "maie.io/v1alpha1",
          kind: "MaieDeployment",
          metadata: { name: `${prefix}${i}` },
          spec: spec(i),
        },
      });
    },
  );
}

/** Awaits `work`, logging `label: status(), elapsed seconds` every 10 s meanwhile. */
export async function withProgress<T>(
  log: (m: string) => void,
  label: string,
  work: Promise<T>,
  status: () => string,
): Promise<T> {
  const t0 = performance.now();
  const timer = setInterval(
    () => log(`${label}: ${status()}, ${((performance.now() - t0) / 1000).toFixed(0)} s`),
    10_000,
  );
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** The spec of the bench's i-th MaieDeployment: replicas, ingress on and off, and monitoring vary with i. */
export function benchSpec(i: number): object {
  return {
    replicas: 1 + (i % 3),
    monitoring: { serviceMonitor: { enabled: "Enabled" }, alerts: { enabled: "Enabled" } },
    scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
    ingress: { enabled: i % 2 === 0, host: `m${i}.example.com` },
  };
}

/** What the operator's children are built from on the bench's control plane (Prometheus Operator CRDs served). */
export const BENCH_CONTEXT: DesiredContext = {
  capabilities: { prometheusOperator: true },
  defaultImage: { repository: "ghcr.io/maie/maie", tag: "latest" },
};

/** The children the operator applies for a MaieDeployment as read from the API. */
export function childrenOf(raw: KubeObject): KubeObject[] {
  const parsed = parseMaieDeployment(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return desiredChildren(parsed.value, BENCH_CONTEXT);
}

/** Server-side-applies `o` as `fieldManager` (`dryRun`: validated and admitted, not stored). */
export function applyObject(
  client: RestClient,
  o: KubeObject,
  fieldManager: string,
  dryRun = false,
): Promise<unknown> {
  return client.request("PATCH", resourcePath(resourceType(o.kind), o.metadata.namespace, o.metadata.name), {
    body: o,
    contentType: APPLY_PATCH,
    query: { fieldManager, force: true, ...(dryRun && { dryRun: "All" }) },
  });
}

/**
 * The first write of a kind to a fresh apiserver is slow (~2 s for our CRD
 * on 2 cores, before its write path is ready), reads do not warm it up, and a
 * run should not pay that in its timed part. So: a dry-run create of one
 * MaieDeployment and a dry-run apply of its children, nothing stored.
 */
export async function warmUp(client: RestClient, namespace: string, spec: object): Promise<void> {
  const created = await client.request<KubeObject>(
    "POST",
    resourcePath(RESOURCE_TYPES.MaieDeployment, namespace),
    {
      query: { dryRun: "All" },
      body: { apiVersion: "maie.io/v1alpha1", kind: "MaieDeployment", metadata: { name: "warm-up" }, spec },
    },
  );
  await Promise.all(childrenOf(created).map((o) => applyObject(client, o, "bench-warm-up", true)));
}

/**
 * The operator's credentials as in its pod (the in-cluster path, which keeps
 * client-node out of the process): a ServiceAccount in `namespace` bound to
 * cluster-admin (the bench measures work, not RBAC), its token and the CA.
 */
export async function operatorPodCredentials(
  client: RestClient,
  kubeconfig: string,
  namespace: string,
): Promise<PodCredentials> {
  const name = "maie-operator";
  await client.request("POST", resourcePath(RESOURCE_TYPES.ServiceAccount, namespace), {
    body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } },
  });
  await client.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
    body: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `bench-${namespace}-operator` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  });
  return serviceAccountPodCredentials(client, kubeconfig, namespace, name);
}
