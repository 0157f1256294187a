import type { V1Ingress } from "@kubernetes/client-node";
import { buildIngress } from "../../../src/desired/ingress.js";
import { as, ctx, expectedLabels, OWNER, resource } from "./helpers.js";

describe("buildIngress", () => {
  test("is not desired while ingress is off (the default)", () => {
    expect(buildIngress(resource(), ctx)).toBeNull();
    expect(buildIngress(resource({ ingress: { enabled: false, host: "a.example.com" } }), ctx)).toBeNull();
  });

  test("routes host and path prefix to the Service's http port, with class, TLS and annotations", () => {
    const ing = as<V1Ingress>(
      buildIngress(
        resource({
          ingress: {
            enabled: true,
            className: "nginx",
            host: "maie.example.com",
            path: "/api",
            tls: { secretName: "maie-tls" },
            annotations: { "nginx.ingress.kubernetes.io/ssl-redirect": "true" },
          },
        }),
        ctx,
      ),
    );
    expect(ing.apiVersion).toBe("networking.k8s.io/v1");
    expect(ing.metadata?.labels).toEqual(expectedLabels("network"));
    expect(ing.metadata?.ownerReferences).toEqual([OWNER]);
    expect(ing.metadata?.annotations).toEqual({ "nginx.ingress.kubernetes.io/ssl-redirect": "true" });
    expect(ing.spec).toEqual({
      ingressClassName: "nginx",
      rules: [
        {
          host: "maie.example.com",
          http: {
            paths: [
              {
                path: "/api",
                pathType: "Prefix",
                backend: { service: { name: "alpha", port: { name: "http" } } },
              },
            ],
          },
        },
      ],
      tls: [{ hosts: ["maie.example.com"], secretName: "maie-tls" }],
    });
  });

  test("leaves out class, TLS and annotations that are not set", () => {
    const ing = as<V1Ingress>(
      buildIngress(resource({ ingress: { enabled: true, host: "m.example.com" } }), ctx),
    );
    expect(ing.metadata).not.toHaveProperty("annotations");
    expect(ing.spec).not.toHaveProperty("ingressClassName");
    expect(ing.spec).not.toHaveProperty("tls");
    expect(ing.spec?.rules?.[0]?.http?.paths[0]?.path).toBe("/");
  });
});
