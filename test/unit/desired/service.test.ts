import type { V1Service } from "@kubernetes/client-node";
import { buildService, serviceEndpoint } from "../../../src/desired/service.js";
import { as, ctx, expectedLabels, OWNER, resource } from "./helpers.js";

const service = (spec: unknown = {}) => as<V1Service>(buildService(resource(spec), ctx));

describe("buildService", () => {
  test("is a ClusterIP Service selecting the scorer pods, ports http and metrics to the named target ports", () => {
    const svc = service();
    expect(svc.metadata?.labels).toEqual(expectedLabels("scorer"));
    expect(svc.metadata?.ownerReferences).toEqual([OWNER]);
    expect(svc.spec).toEqual({
      type: "ClusterIP",
      selector: {
        "app.kubernetes.io/name": "maie",
        "app.kubernetes.io/instance": "alpha",
        "app.kubernetes.io/component": "scorer",
      },
      ports: [
        { name: "http", port: 8000, targetPort: "http", protocol: "TCP" },
        { name: "metrics", port: 9090, targetPort: "metrics", protocol: "TCP" },
      ],
    });
  });

  test("follows the scorer port", () => {
    expect(service({ scorer: { port: 9100 } }).spec?.ports).toEqual([
      { name: "http", port: 9100, targetPort: "http", protocol: "TCP" },
      { name: "metrics", port: 9090, targetPort: "metrics", protocol: "TCP" },
    ]);
    expect(service({ scorer: { port: 9090 } }).spec?.ports?.[1]).toEqual({
      name: "metrics",
      port: 9091,
      targetPort: "metrics",
      protocol: "TCP",
    });
  });

  test("exposes the app container's port as 'app' when it has one", () => {
    const ports = service({ app: { image: "api:1", port: 8080 } }).spec?.ports;
    expect(ports?.map((p) => p.name)).toEqual(["http", "metrics", "app"]);
    expect(ports?.[2]).toEqual({ name: "app", port: 8080, targetPort: "app", protocol: "TCP" });
    expect(service({ app: { image: "api:1" } }).spec?.ports?.map((p) => p.name)).toEqual(["http", "metrics"]);
  });

  test("the in-cluster endpoint is the Service's DNS name and the scorer port", () => {
    expect(serviceEndpoint(resource())).toBe("http://alpha.research.svc:8000");
    expect(serviceEndpoint(resource({ scorer: { port: 9000 } }))).toBe("http://alpha.research.svc:9000");
  });
});
