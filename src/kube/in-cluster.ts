import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClusterAccess } from "./cluster-access.js";

/** Where the kubelet mounts a pod's service account token and the cluster CA. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/**
 * The kubelet rewrites a projected token well before it expires; reading the
 * file again after a minute (as client-go's in-cluster config does) follows
 * every rotation without a read per request.
 */
export const TOKEN_REREAD_MS = 60_000;

/**
 * The in-cluster credentials, as client-go's `rest.InClusterConfig` reads
 * them: the apiserver from `KUBERNETES_SERVICE_HOST`/`_PORT`, the bearer
 * token and CA from the service account directory. Undefined outside a pod
 * (no such variables, or no token file). Done here rather than through
 * `@kubernetes/client-node`'s KubeConfig because loading that library costs
 * the operator about 80 MiB of RSS (its generated API), for these two files.
 */
export async function inClusterAccess(
  env: Readonly<Record<string, string | undefined>>,
  dir: string = SERVICE_ACCOUNT_DIR,
  now: () => number = Date.now,
): Promise<ClusterAccess | undefined> {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  if (host === undefined || host === "" || port === undefined || port === "") return undefined;
  const tokenFile = join(dir, "token");
  const readToken = async () => (await readFile(tokenFile, "utf8")).trim();
  let token: string;
  try {
    token = await readToken();
  } catch {
    return undefined;
  }
  const ca = await readFile(join(dir, "ca.crt"));
  let readAt = now();
  return {
    // An IPv6 address is bracketed in a URL (net.JoinHostPort in client-go).
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    tls: { ca },
    async headers() {
      if (now() - readAt >= TOKEN_REREAD_MS) {
        // A failed re-read keeps the last token: it stays valid for a while after the kubelet rotates it.
        token = await readToken().catch(() => token);
        readAt = now();
      }
      return { Authorization: `Bearer ${token}` };
    },
  };
}
