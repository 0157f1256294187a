import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { childMeta, type DesiredContext, names, selectorLabels } from "./meta.js";
import { toKubeObject } from "./plain.js";

/** Port names shared by the containers, the Service, the Ingress and the ServiceMonitor. */
export const HTTP_PORT_NAME = "http";
export const APP_PORT_NAME = "app";
/** The scorer's management port: probes and /metrics, never routed by the `http` port or the Ingress. */
export const METRICS_PORT_NAME = "metrics";

/** Candidates for the management port, the first one the spec's ports leave free is used. */
const METRICS_PORT_CANDIDATES = [9090, 9091, 9092] as const;

/**
 * The scorer's management port number: 9090, or the next of 9091/9092 when
 * `spec.scorer.port` or `spec.app.port` already uses it (so it never
 * collides and needs no spec field).
 */
export function scorerMetricsPort(cr: MaieDeployment): number {
  const taken = new Set([cr.spec.scorer.port, cr.spec.app?.port]);
  const free = METRICS_PORT_CANDIDATES.find((p) => !taken.has(p));
  if (free === undefined) throw new Error("three metrics port candidates, but the spec names only two ports");
  return free;
}

/**
 * ClusterIP Service in front of the scorer pods: port `http` (the API),
 * `metrics` (for the ServiceMonitor; the Ingress routes `http` only), plus
 * `app` when the app container has a port.
 */
export function buildService(cr: MaieDeployment, _ctx: DesiredContext): KubeObject {
  const ports: V1ServicePort[] = [
    { name: HTTP_PORT_NAME, port: cr.spec.scorer.port, targetPort: HTTP_PORT_NAME, protocol: "TCP" },
    { name: METRICS_PORT_NAME, port: scorerMetricsPort(cr), targetPort: METRICS_PORT_NAME, protocol: "TCP" },
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
