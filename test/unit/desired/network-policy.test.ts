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

const MONITORING = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
const OPERATOR = {
  namespaceSelector: {},
  podSelector: {
    matchLabels: { "app.kubernetes.io/name": "maie", "app.kubernetes.io/component": "operator" },
  },
};
const DNS_RULE = {
  to: [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
      podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
    },
  ],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
};

describe("buildNetworkPolicy", () => {
  test("is not desired when disabled", () => {
    expect(buildNetworkPolicy(resource({ networkPolicy: { enabled: false } }), ctx)).toBeNull();
  });

  test("by default: deny both ways but the monitoring namespace on the metrics port and egress to the cluster DNS", () => {
    const np = buildNetworkPolicy(resource(), ctx)!;
    expect(np.apiVersion).toBe("networking.k8s.io/v1");
    expect(np.kind).toBe("NetworkPolicy");
    expect(np.metadata.labels).toEqual(expectedLabels("network"));
    expect(np.metadata.ownerReferences).toEqual([OWNER]);
    expect(np["spec"]).toEqual({
      podSelector: SCORER_SELECTOR,
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [MONITORING, OPERATOR], ports: [{ protocol: "TCP", port: 9090 }] }],
      egress: [DNS_RULE],
    });
  });

  test("the allowFrom peers: ingress on the scorer, metrics and app ports, egress to them; the namespace itself is not admitted", () => {
    const peer = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "clients" } } };
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
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [peer],
          ports: [
            { protocol: "TCP", port: 9000 },
            { protocol: "TCP", port: 9090 },
            { protocol: "TCP", port: 8080 },
          ],
        },
        { from: [MONITORING, OPERATOR], ports: [{ protocol: "TCP", port: 9090 }] },
      ],
      egress: [DNS_RULE, { to: [peer] }],
    });
  });

  test("a model URI opens egress on its port only, to any address (a NetworkPolicy cannot name a host)", () => {
    const egress = (spec: object) =>
      (buildNetworkPolicy(resource(spec), ctx)!["spec"] as { egress: unknown[] }).egress;
    const store = { bucket: "models", endpoint: "http://seaweed.storage:8333" };
    expect(egress({ model: { uri: "s3://models/alpha.txt" }, objectStore: store })).toEqual([
      DNS_RULE,
      { ports: [{ protocol: "TCP", port: 8333 }] },
    ]);
    expect(egress({ model: { uri: "s3://models/alpha.txt" }, objectStore: { bucket: "models" } })).toEqual([
      DNS_RULE,
      { ports: [{ protocol: "TCP", port: 443 }] },
    ]);
    expect(egress({ model: { uri: "https://models.example.com/alpha.txt" } })).toEqual([
      DNS_RULE,
      { ports: [{ protocol: "TCP", port: 443 }] },
    ]);
    // A registered model: the tracking server (its artifact proxy too), and the store of an s3:// artifact store.
    const registry = {
      uri: "models:/maie-alpha@champion",
      mlflow: { trackingUri: "http://mlflow.mlops:5000" },
    };
    expect(egress({ model: registry })).toEqual([DNS_RULE, { ports: [{ protocol: "TCP", port: 5000 }] }]);
    expect(egress({ model: registry, objectStore: store })).toEqual([
      DNS_RULE,
      { ports: [{ protocol: "TCP", port: 5000 }] },
      { ports: [{ protocol: "TCP", port: 8333 }] },
    ]);
  });

  test("an app container without a port opens no second port", () => {
    const np = buildNetworkPolicy(
      resource({ app: { image: "api:1" }, networkPolicy: { allowFrom: [MONITORING] } }),
      ctx,
    )!;
    expect((np["spec"] as { ingress: { ports: unknown[] }[] }).ingress[0]!.ports).toEqual([
      { protocol: "TCP", port: 8000 },
      { protocol: "TCP", port: 9090 },
    ]);
  });

  test("the documented peers: an ingress controller's namespace and Prometheus pods in another namespace, nothing wider", () => {
    const ingressController = {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
    };
    const prometheus = {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "prometheus" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
    };
    const np = buildNetworkPolicy(
      resource({ networkPolicy: { allowFrom: [ingressController, prometheus] } }),
      ctx,
    )!;
    const rules = (np["spec"] as { ingress: { from: unknown[] }[] }).ingress;
    expect(rules).toHaveLength(2);
    expect(rules[0]!.from).toEqual([ingressController, prometheus]);
    expect(rules[1]!.from).toEqual([MONITORING, OPERATOR]);
  });

  test("for any spec: every rule has peers, ingress rules have ports, only the scorer pods, egress only DNS and the peers", () => {
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
            egress: { to: unknown[]; ports?: unknown[] }[];
          };
          // A rule without ports would admit every port; a rule without peers would admit every source.
          const metricsPort = [9090, 9091, 9092].find((p) => p !== scorerPort && p !== appPort)!;
          const metricsOnly = [{ protocol: "TCP", port: metricsPort }];
          const withApp = [
            { protocol: "TCP", port: scorerPort },
            ...metricsOnly,
            ...(appPort !== undefined ? [{ protocol: "TCP", port: appPort }] : []),
          ];
          expect(new Set(withApp.map((p) => p.port)).size).toBe(withApp.length);
          expect(spec.ingress).toEqual([
            ...(allowFrom.length > 0 ? [{ from: allowFrom, ports: withApp }] : []),
            { from: [MONITORING, OPERATOR], ports: metricsOnly },
          ]);
          expect(spec.egress).toEqual([DNS_RULE, ...(allowFrom.length > 0 ? [{ to: allowFrom }] : [])]);
          for (const rule of [...spec.ingress.map((r) => r.from), ...spec.egress.map((r) => r.to)]) {
            expect(rule.length).toBeGreaterThan(0);
          }
          expect(spec.podSelector).toEqual(SCORER_SELECTOR);
          expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
        },
      ),
    );
  });
});
