import type { V1PodDisruptionBudget } from "@kubernetes/client-node";
import { buildPodDisruptionBudget, pdbDesired } from "../../../src/desired/pdb.js";
import { as, ctx, expectedLabels, OWNER, resource } from "./helpers.js";

const desired = (spec: unknown) => pdbDesired(resource(spec));

describe("pdbDesired", () => {
  test("auto: only when more than one replica is desired", () => {
    expect(desired({ replicas: 2 })).toBe(true);
    expect(desired({ replicas: 1 })).toBe(false);
    expect(desired({ replicas: 0 })).toBe(false);
  });

  test("auto with autoscaling: decided by minReplicas, not replicas", () => {
    expect(desired({ replicas: 1, autoscaling: { enabled: true, minReplicas: 2 } })).toBe(true);
    expect(desired({ replicas: 5, autoscaling: { enabled: true, minReplicas: 1 } })).toBe(false);
  });

  test('"true" always, "false" never', () => {
    expect(desired({ replicas: 1, podDisruptionBudget: { enabled: "Enabled" } })).toBe(true);
    expect(desired({ replicas: 5, podDisruptionBudget: { enabled: "Disabled" } })).toBe(false);
  });
});

describe("buildPodDisruptionBudget", () => {
  test("is null when not desired", () => {
    expect(buildPodDisruptionBudget(resource({ replicas: 1 }), ctx)).toBeNull();
  });

  test("selects the scorer pods with minAvailable from the spec and lets unhealthy pods be evicted", () => {
    const pdb = as<V1PodDisruptionBudget>(
      buildPodDisruptionBudget(
        resource({ podDisruptionBudget: { enabled: "Enabled", minAvailable: 2 } }),
        ctx,
      ),
    );
    expect(pdb.apiVersion).toBe("policy/v1");
    expect(pdb.metadata?.labels).toEqual(expectedLabels("scorer"));
    expect(pdb.metadata?.ownerReferences).toEqual([OWNER]);
    expect(pdb.spec).toEqual({
      minAvailable: 2,
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": "maie",
          "app.kubernetes.io/instance": "alpha",
          "app.kubernetes.io/component": "scorer",
        },
      },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    });
  });
});
