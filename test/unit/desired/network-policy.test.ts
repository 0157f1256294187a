import fc from "fast-check";
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

  test("an app container without a port opens no second port", () => {
    const np = buildNetworkPolicy(resource({ app: { image: "api:1" } }), ctx)!;
    expect((np["spec"] as { ingress: { ports: unknown[] }[] }).ingress[0]!.ports).toEqual([
      { protocol: "TCP", port: 8000 },
    ]);
  });

  test("the documented peers: an ingress controller's namespace and Prometheus pods in another namespace, nothing wider", () => {
    const ingressController = {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
    };
    const prometheus = {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
    };
    const np = buildNetworkPolicy(
      resource({ networkPolicy: { allowFrom: [ingressController, prometheus] } }),
      ctx,
    )!;
    const rules = (np["spec"] as { ingress: { from: unknown[] }[] }).ingress;
    expect(rules).toHaveLength(1);
    expect(rules[0]!.from).toEqual([{ podSelector: {} }, ingressController, prometheus]);
  });

  test("for any spec: one ingress rule, always with ports, peers only the same namespace plus allowFrom, scorer pods only", () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/);
    const peer = fc.oneof(
      fc.record({
        namespaceSelector: fc.record({ matchLabels: fc.dictionary(label, label, { maxKeys: 2 }) }),
      }),
      fc.record({ podSelector: fc.record({ matchLabels: fc.dictionary(label, label, { maxKeys: 2 }) }) }),
      fc.record({ ipBlock: fc.record({ cidr: fc.constantFrom("10.1.0.0/16", "192.168.0.0/24") }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1024, max: 65535 }),
        fc.option(fc.integer({ min: 1024, max: 65535 }), { nil: undefined }),
        fc.array(peer, { maxLength: 5 }),
        (scorerPort, appPort, allowFrom) => {
          fc.pre(appPort !== scorerPort);
          const np = buildNetworkPolicy(
            resource({
              scorer: { port: scorerPort },
              ...(appPort !== undefined && { app: { image: "api:1", port: appPort } }),
              networkPolicy: { allowFrom },
            }),
            ctx,
          )!;
          const spec = np["spec"] as {
            podSelector: unknown;
            policyTypes: string[];
            ingress: { from: unknown[]; ports: { protocol: string; port: number }[] }[];
          };
          // A rule without ports would admit every port; a rule without peers would admit every source.
          expect(spec.ingress).toHaveLength(1);
          expect(spec.ingress[0]!.ports).toEqual([
            { protocol: "TCP", port: scorerPort },
            ...(appPort !== undefined ? [{ protocol: "TCP", port: appPort }] : []),
          ]);
          expect(spec.ingress[0]!.from).toEqual([{ podSelector: {} }, ...allowFrom]);
          expect(spec.podSelector).toEqual(SCORER_SELECTOR);
          expect(spec.policyTypes).toEqual(["Ingress"]);
        },
      ),
    );
  });
});
