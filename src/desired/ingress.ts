import type { V1Ingress } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { checkIngressAnnotations } from "./annotations.js";
import { childMeta, type DesiredContext, names } from "./meta.js";
import { nonEmpty, toKubeObject } from "./plain.js";
import { HTTP_PORT_NAME } from "./service.js";

/**
 * Routes `host` + `path` (a prefix) to the scorer Service's `http` port.
 * Only while `ingress.enabled`; TLS terminates with `tls.secretName` for the
 * host. A missing host (the CRD requires one when enabled) matches every host.
 */
export function buildIngress(cr: MaieDeployment, _ctx: DesiredContext): KubeObject | null {
  const { ingress } = cr.spec;
  if (!ingress.enabled) return null;
  checkIngressAnnotations(ingress.annotations);
  const meta = childMeta(cr, names.ingress(cr), "network");
  const ing: V1Ingress = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { ...meta, annotations: nonEmpty(ingress.annotations) },
    spec: {
      ingressClassName:
        ingress.className !== undefined && ingress.className !== "" ? ingress.className : undefined,
      rules: [
        {
          host: ingress.host,
          http: {
            paths: [
              {
                path: ingress.path,
                pathType: "Prefix",
                backend: { service: { name: names.service(cr), port: { name: HTTP_PORT_NAME } } },
              },
            ],
          },
        },
      ],
      tls:
        ingress.tls !== undefined
          ? [
              {
                hosts: ingress.host !== undefined ? [ingress.host] : undefined,
                secretName: ingress.tls.secretName,
              },
            ]
          : undefined,
    },
  };
  return toKubeObject(ing);
}
