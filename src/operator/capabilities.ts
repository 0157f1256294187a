import { KubeApiError, type KubeClient } from "../kube/rest.js";
import type { Capabilities } from "../desired/meta.js";

/** Asks the apiserver, never guesses, whether the Prometheus Operator's API is served. */
export async function discoverCapabilities(client: KubeClient): Promise<Capabilities> {
  try {
    const list = await client.request<{ resources?: { name: string }[] }>(
      "GET",
      "/apis/monitoring.coreos.com/v1",
    );
    const names = new Set((list.resources ?? []).map((r) => r.name));
    return { prometheusOperator: names.has("servicemonitors") && names.has("prometheusrules") };
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return { prometheusOperator: false };
    throw err;
  }
}

/**
 * Discovery at start-up, retried with backoff (0.5 s doubling, 5 attempts,
 * about 8 s): one 5xx or a reset connection while the apiserver restarts
 * should not crash-loop the operator; a cluster that stays unreachable still
 * fails the start with the last error.
 */
export async function discoverCapabilitiesAtStart(
  client: KubeClient,
  onRetry: (err: unknown, inMs: number) => void,
  attempts = 5,
  baseMs = 500,
): Promise<Capabilities> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await discoverCapabilities(client);
    } catch (err) {
      if (attempt >= attempts) throw err;
      const wait = baseMs * 2 ** (attempt - 1);
      onRetry(err, wait);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
