import type { V1Container, V1PodSpec } from "@kubernetes/client-node";
import type { MaieDeployment } from "../../../src/api/resource.js";
import type { DesiredContext } from "../../../src/desired/meta.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { sampleResource } from "../api/fixtures.js";

/** Shared inputs and readers for the builder tests. */

export const ctx: DesiredContext = {
  capabilities: { prometheusOperator: true },
  defaultImage: { repository: "ghcr.io/maie/maie", tag: "0.1.0" },
};

export const ctxWithoutPrometheus: DesiredContext = { ...ctx, capabilities: { prometheusOperator: false } };

/**
 * A resource with every optional child on, every pass-through field set and
 * every monitoring knob turned: the one customised spec of the builder,
 * golden and monitoring tests.
 */
export const CUSTOM_SPEC = {
  image: { repository: "registry.example.com/maie", tag: "1.2.3", pullPolicy: "Always" },
  imagePullSecrets: [{ name: "registry-creds" }],
  replicas: 3,
  app: {
    image: "registry.example.com/maie-api:4.5.6",
    command: ["uvicorn"],
    args: ["maie.api:app", "--port", "8080"],
    port: 8080,
    env: [{ name: "MAIE_API_DATA", value: "/data" }],
    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
  },
  scorer: {
    port: 9000,
    resources: { requests: { cpu: 1, memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } },
    readinessRequiresModel: false,
    auth: { tokenSecretRef: { name: "maie-token", key: "bearer" } },
    logLevel: "debug",
  },
  model: { format: "xgboost", path: "models/model.json" },
  storage: {
    data: { size: "50Gi", storageClassName: "fast-rwx", accessModes: ["ReadWriteMany"] },
    backups: { size: "100Gi", storageClassName: "cold" },
    retainOnDelete: false,
  },
  pipeline: {
    schedule: "15 22 * * 1-5",
    timeZone: "America/New_York",
    suspend: true,
    image: "registry.example.com/maie-pipeline:7",
    args: ["pipeline", "run", "--verbose"],
    env: [
      { name: "MAIE_MODEL_FORMAT", value: "lightgbm" },
      { name: "PRICES_TOKEN", valueFrom: { secretKeyRef: { name: "prices", key: "token" } } },
    ],
    envFrom: [{ configMapRef: { name: "pipeline-settings" } }],
    resources: { requests: { cpu: "500m", memory: "1Gi" } },
    activeDeadlineSeconds: 7200,
    backoffLimit: 1,
    successfulJobsHistoryLimit: 5,
    failedJobsHistoryLimit: 10,
  },
  backup: {
    schedule: "30 23 * * *",
    retentionDays: 14,
    reportsRetentionDays: 60,
    verify: false,
    activeDeadlineSeconds: 1800,
  },
  autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 60 },
  podDisruptionBudget: { enabled: "Enabled", minAvailable: 2 },
  ingress: {
    enabled: true,
    className: "nginx",
    host: "maie.example.com",
    path: "/api",
    tls: { secretName: "maie-tls" },
    annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "2m" },
  },
  networkPolicy: {
    enabled: true,
    allowFrom: [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
    ],
  },
  nodeSelector: { "node.kubernetes.io/pool": "research" },
  tolerations: [{ key: "dedicated", operator: "Equal", value: "research", effect: "NoSchedule" }],
  affinity: {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: "kubernetes.io/hostname",
            labelSelector: { matchLabels: { "app.kubernetes.io/instance": "alpha" } },
          },
        },
      ],
    },
  },
  topologySpreadConstraints: [
    {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: { "app.kubernetes.io/instance": "alpha" } },
    },
  ],
  podLabels: { team: "quant" },
  podAnnotations: { "example.com/owner": "research" },
  monitoring: {
    serviceMonitor: { enabled: "Enabled", interval: "15s", labels: { release: "kube-prometheus-stack" } },
    alerts: {
      enabled: "Enabled",
      latencyP95Seconds: 0.5,
      explainLatencyP95Seconds: 1,
      errorRatio: 0.05,
      panelMaxAge: "2d",
      labels: { release: "kube-prometheus-stack", team: "quant" },
    },
  },
};

/** A resource with every default applied plus `spec`. */
export const resource = (spec: unknown = {}): MaieDeployment => sampleResource(spec);

/** Reads a built object through the typed model of its kind (tests only read). */
export function as<T>(o: KubeObject | null): T {
  if (o === null) throw new Error("expected an object, the builder returned null");
  return o as unknown as T;
}

export const OWNER = {
  apiVersion: "maie.io/v1alpha1",
  kind: "MaieDeployment",
  name: "alpha",
  uid: "00000000-0000-4000-8000-000000000001",
  controller: true,
  blockOwnerDeletion: true,
};

export function expectedLabels(component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "maie",
    "app.kubernetes.io/instance": "alpha",
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": "maie-operator",
    "app.kubernetes.io/part-of": "maie",
  };
}

/** True when `value` (or anything inside it) is `undefined`, a Date, or another non-JSON value. */
export function nonJsonPaths(value: unknown, path = "$"): string[] {
  if (value === null || typeof value === "string" || typeof value === "boolean") return [];
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonJsonPaths(v, `${path}[${i}]`));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value).flatMap(([k, v]) => nonJsonPaths(v, `${path}.${k}`));
  }
  return [path];
}

const ALLOWED_VOLUME_TYPES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/**
 * The checks of the Pod Security Standards "restricted" profile (latest),
 * as kubernetes/pod-security-admission implements them, on one pod spec.
 * Returns the violations (empty when the pod passes).
 */
export function restrictedViolations(pod: V1PodSpec): string[] {
  const v: string[] = [];
  const psc = pod.securityContext ?? {};
  const containers: V1Container[] = [...(pod.initContainers ?? []), ...pod.containers];
  if (pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true) v.push("host namespaces");
  for (const vol of pod.volumes ?? []) {
    const types = Object.keys(vol).filter((k) => k !== "name");
    for (const t of types) if (!ALLOWED_VOLUME_TYPES.has(t)) v.push(`volume ${vol.name}: type ${t}`);
  }
  if (psc.runAsUser === 0) v.push("pod runAsUser 0");
  if (psc.sysctls !== undefined && psc.sysctls.length > 0) v.push("sysctls");
  const podSeccomp = psc.seccompProfile?.type;
  if (podSeccomp !== undefined && podSeccomp !== "RuntimeDefault" && podSeccomp !== "Localhost")
    v.push("pod seccomp");
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}`;
    if (sc.privileged === true) v.push(`${at}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${at}: allowPrivilegeEscalation must be false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) v.push(`${at}: must drop ALL capabilities`);
    for (const cap of sc.capabilities?.add ?? [])
      if (cap !== "NET_BIND_SERVICE") v.push(`${at}: adds ${cap}`);
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (nonRoot !== true) v.push(`${at}: runAsNonRoot must be true`);
    if (sc.runAsUser === 0) v.push(`${at}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") v.push(`${at}: seccompProfile`);
    if (sc.procMount !== undefined && sc.procMount !== "Default") v.push(`${at}: procMount`);
    for (const p of c.ports ?? [])
      if (p.hostPort !== undefined && p.hostPort !== 0) v.push(`${at}: hostPort`);
  }
  return v;
}
