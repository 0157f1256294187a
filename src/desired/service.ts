import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { childMeta, type DesiredContext, names, selectorLabels } from "./meta.js";
import { toKubeObject } from "./plain.js";

/** Port names shared by the containers, the Service, the Ingress and the ServiceMonitor. */
export const HTTP_PORT_NAME = "http";
export const APP_PORT_NAME = "app";

/** ClusterIP Service in front of the scorer pods: port `http`, plus `app` when the app container has a port. */
export function buildService(cr: MaieDeployment, _ctx: DesiredContext): KubeObject {
  const ports: V1ServicePort[] = [
    { name: HTTP_PORT_NAME, port: cr.spec.scorer.port, targetPort: HTTP_PORT_NAME, protocol: "TCP" },
  ];
  const appPort = cr.spec.app?.port;
  if (appPort !== undefined) {
    ports.push({ name: APP_PORT_NAME, port: appPort, targetPort: APP_PORT_NAME, protocol: "TCP" });
  }
  const svc: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMeta(cr, names.service(cr), "scorer"),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(cr, "scorer"),
      ports,
    },
  };
  return toKubeObject(svc);
}

/** The in-cluster URL of the scorer (for `status.endpoint`). */
export function serviceEndpoint(cr: MaieDeployment): string {
  return `http://${names.service(cr)}.${cr.metadata.namespace}.svc:${cr.spec.scorer.port}`;
}
