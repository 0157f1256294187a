import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterAccess } from "./cluster-access.js";

/**
 * Access through a kubeconfig loaded by `@kubernetes/client-node`, so that
 * client certificates, tokens, exec plugins and auth providers all work.
 */
export async function kubeConfigAccess(kc: KubeConfig): Promise<ClusterAccess> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error("the kubeconfig has no current cluster; set a context or KUBECONFIG");
  const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } = {};
  await kc.applyToHTTPSOptions(opts);
  return {
    server: cluster.server,
    tls: {
      ...(opts.ca !== undefined && { ca: opts.ca }),
      ...(opts.cert !== undefined && { cert: opts.cert }),
      ...(opts.key !== undefined && { key: opts.key }),
      ...(opts.rejectUnauthorized !== undefined && { rejectUnauthorized: opts.rejectUnauthorized }),
    },
    async headers() {
      // Re-read on every call: exec plugins and auth providers refresh their tokens.
      const out: { headers?: Record<string, string | number | string[]> } = {};
      await kc.applyToHTTPSOptions(out);
      return Object.fromEntries(
        Object.entries(out.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]),
      );
    },
  };
}

/**
 * Loads a kubeconfig (a file, or client-node's default: KUBECONFIG, then
 * ~/.kube/config, then in-cluster). The library is imported here, on first
 * use, so a process that never needs it never loads it.
 */
export async function loadKubeConfig(file?: string): Promise<KubeConfig> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  if (file !== undefined) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}
