/**
 * The REST coordinates of every kind the operator touches. A static table
 * instead of discovery: the set is fixed by the product, and a missing
 * optional API (Prometheus Operator) is detected separately.
 */
export interface ResourceType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const RESOURCE_TYPES = {
  MaieDeployment: {
    apiVersion: "maie.io/v1alpha1",
    kind: "MaieDeployment",
    plural: "maiedeployments",
    namespaced: true,
  },
  ServiceAccount: { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  PersistentVolumeClaim: {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    plural: "persistentvolumeclaims",
    namespaced: true,
  },
  Service: { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  ConfigMap: { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  Secret: { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  Pod: { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true },
  Namespace: { apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  Deployment: { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true },
  CronJob: { apiVersion: "batch/v1", kind: "CronJob", plural: "cronjobs", namespaced: true },
  Job: { apiVersion: "batch/v1", kind: "Job", plural: "jobs", namespaced: true },
  Ingress: { apiVersion: "networking.k8s.io/v1", kind: "Ingress", plural: "ingresses", namespaced: true },
  NetworkPolicy: {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    plural: "networkpolicies",
    namespaced: true,
  },
  HorizontalPodAutoscaler: {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    plural: "horizontalpodautoscalers",
    namespaced: true,
  },
  PodDisruptionBudget: {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    plural: "poddisruptionbudgets",
    namespaced: true,
  },
  ServiceMonitor: {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    plural: "servicemonitors",
    namespaced: true,
  },
  PrometheusRule: {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    plural: "prometheusrules",
    namespaced: true,
  },
  Lease: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", plural: "leases", namespaced: true },
  Event: { apiVersion: "events.k8s.io/v1", kind: "Event", plural: "events", namespaced: true },
  CustomResourceDefinition: {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    plural: "customresourcedefinitions",
    namespaced: false,
  },
} as const satisfies Record<string, ResourceType>;

export type KindName = keyof typeof RESOURCE_TYPES;

export function resourceType(kind: string): ResourceType {
  const t = (RESOURCE_TYPES as Record<string, ResourceType>)[kind];
  if (t === undefined) throw new Error(`unknown kind ${kind}`);
  return t;
}

/** `/api/v1/namespaces/ns/pods/name` or `/apis/apps/v1/...`; name omitted for collections. */
export function resourcePath(
  type: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const base = type.apiVersion.includes("/") ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const ns = type.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const n = name !== undefined ? `/${encodeURIComponent(name)}` : "";
  const sub = subresource !== undefined ? `/${subresource}` : "";
  return `${base}${ns}/${type.plural}${n}${sub}`;
}
