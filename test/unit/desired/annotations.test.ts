import { buildDeployment } from "../../../src/desired/deployment.js";
import { InvalidSpecError } from "../../../src/desired/errors.js";
import { buildIngress } from "../../../src/desired/ingress.js";
import { ingressAnnotationProblem, podAnnotationProblem } from "../../../src/desired/annotations.js";
import { ctx, resource } from "./helpers.js";

describe("annotation denylist", () => {
  test.each([
    ["container.apparmor.security.beta.kubernetes.io/scorer", "unconfined", /AppArmor/],
    ["container.apparmor.security.beta.kubernetes.io/app", " Unconfined ", /AppArmor/],
    ["seccomp.security.alpha.kubernetes.io/pod", "unconfined", /seccomp/],
    ["container.seccomp.security.alpha.kubernetes.io/scorer", "unconfined", /seccomp/],
  ])("pod annotation %s=%j is refused", (key, value, reason) => {
    expect(podAnnotationProblem(key, value)).toMatch(reason);
    const build = () =>
      buildDeployment(resource({ podAnnotations: { "example.com/ok": "1", [key]: value } }), ctx);
    expect(build).toThrow(InvalidSpecError);
    expect(build).toThrow(`spec.podAnnotations[${JSON.stringify(key)}]: `);
  });

  test.each([
    ["container.apparmor.security.beta.kubernetes.io/scorer", "runtime/default"],
    ["container.apparmor.security.beta.kubernetes.io/scorer", "localhost/maie"],
    ["seccomp.security.alpha.kubernetes.io/pod", "runtime/default"],
    ["kubectl.kubernetes.io/restartedAt", "2026-01-01T00:00:00Z"],
    ["prometheus.io/scrape", "true"],
    ["example.com/unconfined", "unconfined"],
  ])("pod annotation %s=%j passes through", (key, value) => {
    expect(podAnnotationProblem(key, value)).toBeUndefined();
    const dep = buildDeployment(resource({ podAnnotations: { [key]: value } }), ctx) as unknown as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    expect(dep.spec.template.metadata.annotations[key]).toBe(value);
  });

  test.each([
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/auth-snippet",
    "nginx.ingress.kubernetes.io/stream-snippet",
    "nginx.ingress.kubernetes.io/modsecurity-snippet",
    "nginx.org/server-snippets",
    "nginx.org/location-snippets",
    "haproxy.org/backend-config-snippet",
    "NGINX.ingress.kubernetes.io/Server-Snippet",
  ])("ingress annotation %s is refused", (key) => {
    expect(ingressAnnotationProblem(key)).toMatch(/snippets are refused/);
    const build = () =>
      buildIngress(
        resource({ ingress: { enabled: true, host: "m.example.com", annotations: { [key]: "x" } } }),
        ctx,
      );
    expect(build).toThrow(InvalidSpecError);
    expect(build).toThrow(`spec.ingress.annotations[${JSON.stringify(key)}]: `);
  });

  test("other ingress annotations pass through; a disabled Ingress is not checked", () => {
    for (const key of [
      "nginx.ingress.kubernetes.io/ssl-redirect",
      "nginx.ingress.kubernetes.io/proxy-body-size",
      "cert-manager.io/cluster-issuer",
    ]) {
      expect(ingressAnnotationProblem(key)).toBeUndefined();
    }
    expect(
      buildIngress(
        resource({
          ingress: { enabled: false, annotations: { "nginx.ingress.kubernetes.io/server-snippet": "x" } },
        }),
        ctx,
      ),
    ).toBeNull();
  });
});
