import { KubeApiError, type RestClient } from "../kube/rest.js";
import type { Capabilities } from "../desired/meta.js";

/** Asks the apiserver, never guesses, whether the Prometheus Operator's API is served. */
export async function discoverCapabilities(client: RestClient): Promise<Capabilities> {
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
