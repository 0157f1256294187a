import type { V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { childMeta, type DesiredContext, names } from "./meta.js";
import { toKubeObject } from "./plain.js";

/**
 * autoscaling/v2 HorizontalPodAutoscaler on the scorer Deployment's average
 * CPU utilisation, only while `autoscaling.enabled` (the Deployment then
 * leaves `replicas` to it).
 */
export function buildHorizontalPodAutoscaler(cr: MaieDeployment, _ctx: DesiredContext): KubeObject | null {
  const { autoscaling } = cr.spec;
  if (!autoscaling.enabled) return null;
  const hpa: V2HorizontalPodAutoscaler = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: childMeta(cr, names.hpa(cr), "scorer"),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: names.deployment(cr) },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: { type: "Utilization", averageUtilization: autoscaling.targetCPUUtilizationPercentage },
          },
        },
      ],
    },
  };
  return toKubeObject(hpa);
}
