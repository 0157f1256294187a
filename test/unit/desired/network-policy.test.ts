import { buildNetworkPolicy } from "../../../src/desired/network-policy.js";
import { ctx, expectedLabels, OWNER, resource } from "./helpers.js";

const SCORER_SELECTOR = {
  matchLabels: {
    "app.kubernetes.io/name": "maie",
    "app.kubernetes.io/instance": "alpha",
    "app.kubernetes.io/component": "scorer",
  },
};

describe("buildNetworkPolicy", () => {
  test("is not desired when disabled", () => {
    expect(buildNetworkPolicy(resource({ networkPolicy: { enabled: false } }), ctx)).toBeNull();
  });

  test("by default admits only the same namespace, only on the scorer port, ingress only", () => {
    const np = buildNetworkPolicy(resource(), ctx)!;
    expect(np.apiVersion).toBe("networking.k8s.io/v1");
    expect(np.kind).toBe("NetworkPolicy");
    expect(np.metadata.labels).toEqual(expectedLabels("network"));
    expect(np.metadata.ownerReferences).toEqual([OWNER]);
    expect(np["spec"]).toEqual({
      podSelector: SCORER_SELECTOR,
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 8000 }] }],
    });
  });

  test("adds the allowFrom peers and the app port", () => {
    const peer = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
    const np = buildNetworkPolicy(
      resource({
        scorer: { port: 9000 },
        app: { image: "api:1", port: 8080 },
        networkPolicy: { allowFrom: [peer] },
      }),
      ctx,
    )!;
    expect(np["spec"]).toEqual({
      podSelector: SCORER_SELECTOR,
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: {} }, peer],
          ports: [
            { protocol: "TCP", port: 9000 },
            { protocol: "TCP", port: 8080 },
          ],
        },
      ],
    });
  });
});
