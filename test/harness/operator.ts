import { pino } from "pino";
import { loadOperatorConfig } from "../../src/operator/config.js";
import { startOperator, type OperatorHandle } from "../../src/operator/operator.js";
import type { RestClient } from "../../src/kube/rest.js";
import { createNamespace, restClient, sharedKubeconfig, type PodCredentials } from "./cluster.js";
import { delay } from "../../tools/cluster/wait.js";

export interface TestOperator {
  readonly handle: OperatorHandle;
  /** Mutating requests (POST/PUT/PATCH/DELETE without dryRun) sent by the operator since start or the last reset. */
  writes(): { method: string; path: string }[];
  resetWrites(): void;
}

/** The real operator, in-process, watching one namespace of a real control plane. */
export async function startTestOperator(
  access: string | PodCredentials,
  namespace: string | undefined,
  flags: Record<string, string> = {},
): Promise<TestOperator> {
  const config = loadOperatorConfig(
    {
      ...(typeof access === "string" ? { kubeconfig: access } : { serviceAccountDir: access.dir }),
      metricsPort: "0",
      metricsBindAddress: "127.0.0.1",
      leaderElection: "false",
      ...(namespace !== undefined && { watchNamespace: namespace }),
      capabilityRecheckSeconds: "2",
      ...flags,
    },
    {},
  );
  const logger = pino({ level: process.env["MAIE_TEST_LOG_LEVEL"] ?? "silent" });
  const handle = await startOperator(config, {
    logger,
    ...(typeof access !== "string" && { env: access.env }),
  });
  let writes: { method: string; path: string }[] = [];
  handle.client.onRequest((method, path, _status, query) => {
    if (["POST", "PUT", "PATCH", "DELETE"].includes(method) && query.get("dryRun") === null)
      writes.push({ method, path });
  });
  return {
    handle,
    writes: () => writes,
    resetWrites: () => {
      writes = [];
    },
  };
}

/** Polls until `check` returns a truthy value (or throws its last error after the timeout). */
/** An in-process operator watching a namespace of its own on the shared control plane, and a client for the test. */
export interface OperatorInNamespace {
  readonly kubeconfig: string;
  readonly client: RestClient;
  readonly namespace: string;
  readonly operator: TestOperator;
  stop(): Promise<void>;
}

/** A new namespace named after `prefix`, and an operator watching it with a 5 s resync (unless `flags` say otherwise). */
export async function operatorInNewNamespace(
  prefix: string,
  flags: Record<string, string> = {},
): Promise<OperatorInNamespace> {
  const kubeconfig = sharedKubeconfig();
  const client = await restClient(kubeconfig);
  const namespace = await createNamespace(client, prefix);
  const operator = await startTestOperator(kubeconfig, namespace, { resyncSeconds: "5", ...flags });
  return {
    kubeconfig,
    client,
    namespace,
    operator,
    stop: async () => {
      await operator.handle.stop();
      client.close();
    },
  };
}

export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await delay(200);
  }
}

/**
 * Stands in for the kubelet, which the test control plane does not run:
 * marks the scorer pods Running and Ready through the pod status
 * subresource, so the real ReplicaSet and Deployment controllers report
 * the Deployment available. `podIP` also gives the pods an address (a
 * loopback one where a test runs the pod's process itself).
 */
export async function markPodsReady(
  client: RestClient,
  namespace: string,
  selector: string,
  podIP?: string,
): Promise<number> {
  const pods = await client.request<{ items: { metadata: { name: string } }[] }>(
    "GET",
    `/api/v1/namespaces/${namespace}/pods`,
    { query: { labelSelector: selector } },
  );
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  for (const pod of pods.items) {
    await client.request("PATCH", `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/status`, {
      contentType: "application/merge-patch+json",
      body: {
        status: {
          phase: "Running",
          ...(podIP !== undefined && { podIP, podIPs: [{ ip: podIP }] }),
          conditions: [
            { type: "PodScheduled", status: "True", lastTransitionTime: now },
            { type: "Initialized", status: "True", lastTransitionTime: now },
            { type: "ContainersReady", status: "True", lastTransitionTime: now },
            { type: "Ready", status: "True", lastTransitionTime: now },
          ],
        },
      },
    });
  }
  return pods.items.length;
}
