import { FIELD_MANAGER } from "../api/group.js";
import type { KubeObject } from "../kube/object.js";
import { APPLY_PATCH, type KubeClient } from "../kube/rest.js";
import { resourcePath, resourceType } from "../kube/resources.js";

/** The field manager that keeps `spec.replicas` while the HorizontalPodAutoscaler takes it over. */
export const HANDOVER_MANAGER = `${FIELD_MANAGER}-handover`;

/**
 * When autoscaling is switched on, the desired Deployment stops setting
 * `spec.replicas`. Server-side apply would then drop our ownership and reset
 * the field to its default of 1 — an outage until the HPA reacts. As the
 * Kubernetes docs describe ("transferring ownership"), a separate manager
 * first applies the current value, so dropping ours leaves it in place.
 * Returns true when it wrote.
 */
export async function handOverReplicas(
  client: KubeClient,
  desired: KubeObject,
  live: KubeObject | undefined,
): Promise<boolean> {
  if (desired.kind !== "Deployment" || live === undefined) return false;
  if ((desired["spec"] as { replicas?: number } | undefined)?.replicas !== undefined) return false;
  const liveReplicas = (live["spec"] as { replicas?: number } | undefined)?.replicas;
  if (liveReplicas === undefined || !weOwnReplicas(live)) return false;
  await client.request(
    "PATCH",
    resourcePath(resourceType("Deployment"), live.metadata.namespace, live.metadata.name),
    {
      body: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: live.metadata.name, namespace: live.metadata.namespace },
        spec: { replicas: liveReplicas },
      },
      contentType: APPLY_PATCH,
      query: { fieldManager: HANDOVER_MANAGER, force: true },
    },
  );
  return true;
}

function weOwnReplicas(live: KubeObject): boolean {
  return (live.metadata.managedFields ?? []).some((m) => {
    if (m.manager !== FIELD_MANAGER || m.operation !== "Apply") return false;
    const spec = (m.fieldsV1 as { "f:spec"?: Record<string, unknown> } | undefined)?.["f:spec"];
    return spec !== undefined && "f:replicas" in spec;
  });
}
