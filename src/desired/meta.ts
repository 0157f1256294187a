import { API_VERSION, KIND } from "../api/group.js";
import type { MaieDeployment } from "../api/resource.js";

/**
 * Names, labels and owner references shared by every child builder. Children
 * are a pure function of the resource plus the cluster's capabilities, so
 * nothing here touches a client.
 */

export type Component =
  "scorer" | "pipeline" | "backup" | "loader" | "storage" | "monitoring" | "network" | "dashboards";

/** What the cluster serves, discovered by the operator (never guessed). */
export interface Capabilities {
  /** monitoring.coreos.com/v1 ServiceMonitor and PrometheusRule are served. */
  readonly prometheusOperator: boolean;
}

/** Inputs other than the resource itself. */
export interface DesiredContext {
  readonly capabilities: Capabilities;
  /** The operator's own image, used for the sidecar unless spec.image overrides it. */
  readonly defaultImage: { readonly repository: string; readonly tag: string };
}

export const MANAGED_BY = "maie-operator";
/** Names the MaieDeployment a child belongs to: the operator finds children by it (child-index.ts). */
export const INSTANCE_LABEL = "app.kubernetes.io/instance";

export function selectorLabels(cr: MaieDeployment, component: Component): Record<string, string> {
  return {
    "app.kubernetes.io/name": "maie",
    [INSTANCE_LABEL]: cr.metadata.name,
    "app.kubernetes.io/component": component,
  };
}

export function commonLabels(cr: MaieDeployment, component: Component): Record<string, string> {
  return {
    ...selectorLabels(cr, component),
    "app.kubernetes.io/managed-by": MANAGED_BY,
    "app.kubernetes.io/part-of": "maie",
  };
}

/**
 * Pod label shared by every pod that mounts a single-node data volume; its
 * value is the claim's name (`names.dataPvc`), unique in the namespace, so
 * it never matches another resource's pods. It is a pod-template label only:
 * it stays out of every selector (a Deployment's selector is immutable, and
 * the Service, PDB, NetworkPolicy and `status.selector` mean "scorer pods",
 * not "pods on this volume"). The project's own keys live under `maie.io/`.
 * The value fits a label's 63 characters whenever the CronJobs can exist:
 * `<name>-pipeline` must stay within a CronJob name's 52.
 */
export const DATA_VOLUME_LABEL = "maie.io/data-volume";

/** Label selector that finds every child of every MaieDeployment (used by the operator's informers). */
export const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY},app.kubernetes.io/name=maie`;

export function ownerReference(cr: MaieDeployment) {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: cr.metadata.name,
    uid: cr.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function childMeta(
  cr: MaieDeployment,
  name: string,
  component: Component,
  extraLabels: Record<string, string> = {},
) {
  return {
    name,
    namespace: cr.metadata.namespace,
    labels: { ...extraLabels, ...commonLabels(cr, component) },
    ownerReferences: [ownerReference(cr)],
  };
}

export const names = {
  serviceAccount: (cr: MaieDeployment) => cr.metadata.name,
  deployment: (cr: MaieDeployment) => cr.metadata.name,
  service: (cr: MaieDeployment) => cr.metadata.name,
  ingress: (cr: MaieDeployment) => cr.metadata.name,
  dataPvc: (cr: MaieDeployment) => `${cr.metadata.name}-data`,
  backupsPvc: (cr: MaieDeployment) => `${cr.metadata.name}-backups`,
  pipelineCronJob: (cr: MaieDeployment) => `${cr.metadata.name}-pipeline`,
  backupCronJob: (cr: MaieDeployment) => `${cr.metadata.name}-backup`,
  loaderCronJob: (cr: MaieDeployment) => `${cr.metadata.name}-loader`,
  serviceMonitor: (cr: MaieDeployment) => cr.metadata.name,
  prometheusRule: (cr: MaieDeployment) => cr.metadata.name,
  dashboards: (cr: MaieDeployment) => `${cr.metadata.name}-dashboards`,
  hpa: (cr: MaieDeployment) => cr.metadata.name,
  pdb: (cr: MaieDeployment) => cr.metadata.name,
  networkPolicy: (cr: MaieDeployment) => cr.metadata.name,
};
