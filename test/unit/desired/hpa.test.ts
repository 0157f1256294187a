import type { V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { buildHorizontalPodAutoscaler } from "../../../src/desired/hpa.js";
import { as, ctx, expectedLabels, OWNER, resource } from "./helpers.js";

describe("buildHorizontalPodAutoscaler", () => {
  test("is not desired while autoscaling is off (the default)", () => {
    expect(buildHorizontalPodAutoscaler(resource(), ctx)).toBeNull();
  });

  test("autoscaling/v2 on the scorer Deployment's CPU utilisation, bounds from the spec", () => {
    const hpa = as<V2HorizontalPodAutoscaler>(
      buildHorizontalPodAutoscaler(
        resource({
          autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 9, targetCPUUtilizationPercentage: 55 },
        }),
        ctx,
      ),
    );
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.kind).toBe("HorizontalPodAutoscaler");
    expect(hpa.metadata?.labels).toEqual(expectedLabels("scorer"));
    expect(hpa.metadata?.ownerReferences).toEqual([OWNER]);
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "alpha" },
      minReplicas: 3,
      maxReplicas: 9,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 55 } },
        },
      ],
    });
  });
});
