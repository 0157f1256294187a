import type { V1PodDisruptionBudget } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { childMeta, type DesiredContext, names, selectorLabels } from "./meta.js";
import { toKubeObject } from "./plain.js";

/**
 * Whether a PodDisruptionBudget is desired. `Auto`: when more than one
 * scorer pod is meant to run (the HPA's lower bound while autoscaling is on,
 * `replicas` otherwise), since a budget on a single pod only blocks node
 * drains; `Enabled`: always; `Disabled`: never.
 */
export function pdbDesired(cr: MaieDeployment): boolean {
  const { podDisruptionBudget, autoscaling, replicas } = cr.spec;
  switch (podDisruptionBudget.enabled) {
    case "Enabled":
      return true;
    case "Disabled":
      return false;
    case "Auto":
      return (autoscaling.enabled ? autoscaling.minReplicas : replicas) > 1;
  }
}

/**
 * policy/v1 PodDisruptionBudget over the scorer pods. Unhealthy pods may
 * always be evicted, so a broken rollout never blocks a node drain.
 */
export function buildPodDisruptionBudget(cr: MaieDeployment, _ctx: DesiredContext): KubeObject | null {
  if (!pdbDesired(cr)) return null;
  const pdb: V1PodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: childMeta(cr, names.pdb(cr), "scorer"),
    spec: {
      minAvailable: cr.spec.podDisruptionBudget.minAvailable,
      selector: { matchLabels: selectorLabels(cr, "scorer") },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  };
  return toKubeObject(pdb);
}
