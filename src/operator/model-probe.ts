import { request } from "node:http";
import type { MaieDeployment } from "../api/resource.js";
import { scaleSelector } from "../desired/deployment.js";
import { scorerMetricsPort } from "../desired/service.js";
import type { KubeClient } from "../kube/rest.js";
import type { RegistryVersion } from "../model-source/registry-uri.js";
import { ReadyResponse } from "../scorer/schemas.js";
import type { PodModelReport } from "./served-model.js";
import { compareText } from "../util/compare-text.js";

/**
 * Asks the running scorer pods which model they serve: a GET of /ready on
 * each pod's management port (probes and metrics only; the NetworkPolicy
 * admits the operator there). The answer is the scorer's own schema, so
 * writer and reader cannot drift.
 */

/** Pods asked per reconcile: enough to see a rollout, bounded for a 1000-replica Deployment. */
export const MAX_PROBED_PODS = 16;
/** Per pod: a scorer answers /ready from memory, so a slow answer means an unreachable pod. */
export const PROBE_TIMEOUT_MS = 2_000;
/** /ready bodies are a few hundred bytes; anything larger is not a scorer. */
export const PROBE_BODY_LIMIT_BYTES = 64 * 1024;

export type ModelProbe = (cr: MaieDeployment) => Promise<PodModelReport[]>;

interface PodList {
  items: {
    metadata: { name: string; deletionTimestamp?: string };
    status?: { phase?: string; podIP?: string };
  }[];
}

export function scorerModelProbe(client: KubeClient): ModelProbe {
  return async (cr) => {
    const list = await client.request<PodList>("GET", `/api/v1/namespaces/${cr.metadata.namespace}/pods`, {
      query: { labelSelector: scaleSelector(cr) },
    });
    const running = list.items
      .filter(
        (p) => p.status?.phase === "Running" && p.status.podIP && p.metadata.deletionTimestamp === undefined,
      )
      .sort((a, b) => compareText(a.metadata.name, b.metadata.name))
      .slice(0, MAX_PROBED_PODS);
    const port = scorerMetricsPort(cr);
    return Promise.all(
      running.map(async (p): Promise<PodModelReport> => {
        const pod = p.metadata.name;
        try {
          const body = ReadyResponse.parse(
            await getJson(`http://${hostPart(p.status?.podIP ?? "")}:${port}/ready`),
          );
          return {
            pod,
            sha256: body.model_sha256,
            ...(body.model_source !== undefined && { source: body.model_source }),
            ...(body.model_etag !== undefined && { etag: body.model_etag }),
            ...(body.model_version_id !== undefined && { versionId: body.model_version_id }),
            ...(body.model_loaded_at !== undefined && { loadedAt: body.model_loaded_at }),
            ...(body.model_registry !== undefined && { registry: registryOf(body.model_registry) }),
            ...(body.model_error !== undefined && { error: body.model_error }),
          };
        } catch (err) {
          return { pod, unreachable: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
  };
}

function registryOf(r: NonNullable<ReadyResponse["model_registry"]>): RegistryVersion {
  return {
    name: r.name,
    ...(r.alias !== undefined && { alias: r.alias }),
    version: r.version,
    ...(r.run_id !== undefined && { runId: r.run_id }),
  };
}

function hostPart(ip: string): string {
  return ip.includes(":") ? `[${ip}]` : ip;
}

/** GET a JSON body, any status (/ready answers 503 with the same body while not ready). */
function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: PROBE_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > PROBE_BODY_LIMIT_BYTES) {
          req.destroy(new Error(`/ready answered more than ${PROBE_BODY_LIMIT_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch {
          reject(new Error(`/ready answered ${res.statusCode ?? "?"} without JSON`));
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within ${PROBE_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
}
