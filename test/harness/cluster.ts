import { execFile } from "node:child_process";
import { copyFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderKubeconfig } from "../../tools/cluster/kubeconfig.js";
import { runProcess, type ProcessResult } from "./process.js";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { ControlPlane, type ControlPlaneOptions } from "../../tools/cluster/controlplane.js";
import { installCrds, prometheusOperatorCrds, readYamlObjects } from "../../tools/cluster/install-crds.js";
import { CRD_FILE } from "../../src/api/group.js";

const run = promisify(execFile);

/** The kubeconfig of the control plane started by the integration project's global setup. */
/** A ServiceAccount's credentials laid out as in a pod (see serviceAccountPodCredentials). */
export interface PodCredentials {
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
}

export const SHARED_KUBECONFIG_ENV = "MAIE_TEST_KUBECONFIG";

export function sharedKubeconfig(): string {
  const path = process.env[SHARED_KUBECONFIG_ENV];
  if (path === undefined)
    throw new Error(
      `${SHARED_KUBECONFIG_ENV} is not set: run integration tests through 'npm run test:integration' (jest global setup starts the control plane)`,
    );
  return path;
}

export async function restClient(kubeconfigPath: string): Promise<RestClient> {
  return RestClient.fromKubeconfigFile(kubeconfigPath);
}

export type KubectlResult = ProcessResult;

/** Runs the real kubectl against a control plane; never throws on a non-zero exit (tests assert on it). */
export function kubectl(
  kubeconfigPath: string,
  args: readonly string[],
  input?: string,
): Promise<KubectlResult> {
  return runProcess(
    "kubectl",
    ["--kubeconfig", kubeconfigPath, ...args],
    input === undefined ? {} : { input },
  );
}

/** A fresh namespace per test file keeps tests on the shared control plane apart. */
export async function createNamespace(
  client: RestClient,
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await client.request("POST", resourcePath(RESOURCE_TYPES.Namespace), {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } },
  });
  return name;
}

export interface TestCluster {
  readonly controlPlane: ControlPlane;
  readonly kubeconfigPath: string;
  readonly client: RestClient;
  stop(): Promise<void>;
}

/** A private control plane for tests that break or reshape the cluster (faults, CRDs appearing later). */
export async function startPrivateCluster(
  options: ControlPlaneOptions & { prometheusCrds?: boolean } = {},
): Promise<TestCluster> {
  const controlPlane = await ControlPlane.start(options);
  const client = await restClient(controlPlane.kubeconfigPath);
  await installCrds(client, await readYamlObjects(CRD_FILE));
  if (options.prometheusCrds === true) await installCrds(client, await prometheusOperatorCrds());
  return {
    controlPlane,
    kubeconfigPath: controlPlane.kubeconfigPath,
    client,
    async stop() {
      client.close();
      await controlPlane.stop({ removeDir: true });
    },
  };
}

export { run as execFileAsync };

interface ServiceAccountToken {
  readonly server: string;
  readonly caFile: string;
  readonly token: string;
}

/** A fresh token of a ServiceAccount (as the kubelet would mount it), for the server of `adminKubeconfig`. */
async function serviceAccountToken(
  admin: RestClient,
  adminKubeconfig: string,
  namespace: string,
  serviceAccount: string,
): Promise<ServiceAccountToken> {
  const token = await admin.request<{ status: { token: string } }>(
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    {
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  const adminConfig = (await readYamlObjects(adminKubeconfig))[0] as unknown as {
    clusters: { cluster: { server: string; "certificate-authority": string } }[];
  };
  const cluster = adminConfig.clusters[0]!.cluster;
  return { server: cluster.server, caFile: cluster["certificate-authority"], token: token.status.token };
}

/**
 * A kubeconfig that authenticates as a ServiceAccount with a fresh token (as
 * the kubelet would mount it), against the same server as `adminKubeconfig`:
 * for running the operator out of process with exactly a role's rights.
 */
export async function serviceAccountKubeconfig(
  admin: RestClient,
  adminKubeconfig: string,
  namespace: string,
  serviceAccount: string,
): Promise<string> {
  const sa = await serviceAccountToken(admin, adminKubeconfig, namespace, serviceAccount);
  const path = join(await mkdtemp(join(tmpdir(), "maie-sa-")), `${serviceAccount}.kubeconfig`);
  await writeFile(
    path,
    renderKubeconfig({
      server: sa.server,
      caCert: sa.caFile,
      user: { name: serviceAccount, token: sa.token },
    }),
  );
  return path;
}

/**
 * What a pod of a ServiceAccount sees: the token and ca.crt in a directory
 * (the kubelet's /var/run/secrets/kubernetes.io/serviceaccount) and
 * KUBERNETES_SERVICE_HOST/_PORT, so the operator takes its in-cluster path.
 */
export async function serviceAccountPodCredentials(
  admin: RestClient,
  adminKubeconfig: string,
  namespace: string,
  serviceAccount: string,
): Promise<PodCredentials> {
  const sa = await serviceAccountToken(admin, adminKubeconfig, namespace, serviceAccount);
  const dir = await mkdtemp(join(tmpdir(), "maie-sa-"));
  await writeFile(join(dir, "token"), sa.token);
  await copyFile(sa.caFile, join(dir, "ca.crt"));
  const server = new URL(sa.server);
  return { dir, env: { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port } };
}
