import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PodTemplateSpec,
  V1Probe,
  V1TopologySpreadConstraint,
  V1Affinity,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { DATA_MOUNT } from "../contract/data-layout.js";
import { SCORER_ENV } from "../contract/env.js";
import { modelEnv, objectStoreAccess } from "./object-store.js";
import { defaultScorerSpread, panelStoreEnv, SCRATCH_DATA_DIR, scorerUsesDataVolume } from "./data-mode.js";
import { checkPodAnnotations } from "./annotations.js";
import { InvalidSpecError } from "./errors.js";
import { childMeta, commonLabels, type DesiredContext, names, selectorLabels } from "./meta.js";
import { nonEmpty, nonEmptyList, passThrough, passThroughList, sha256Of, toKubeObject } from "./plain.js";
import {
  commonPodSpec,
  containerSecurityContext,
  dataMount,
  dataMountReadOnly,
  dataVolume,
  dataVolumeAffinity,
  dataVolumeLabels,
  envVar,
  mergeEnv,
  resourceRequirements,
  scorerImage,
  tmpMount,
  tmpVolume,
  VOLUMES,
} from "./pod.js";
import { APP_PORT_NAME, HTTP_PORT_NAME, METRICS_PORT_NAME, scorerMetricsPort } from "./service.js";

/**
 * The scorer Deployment: `maie scorer` (plus the optional app container)
 * over the data volume, hardened to the Pod Security "restricted" profile.
 *
 * - The selector is `selectorLabels(cr, "scorer")` and never changes (it is
 *   immutable in apps/v1).
 * - `replicas` is left out while autoscaling is on, so the HPA owns it.
 * - While the data volume is single-node (ReadWriteOnce) the pods carry the
 *   data-volume label and, unless the spec sets an affinity, require the
 *   node of the other pods with that label (see `dataVolumeAffinity`). The
 *   label is on the template only, never in the selector.
 * - The scorer mounts the data volume writable although it only reads it:
 *   the documented way to load data (docs/operations.md "First data",
 *   `npm run demo`, the e2e test) writes through the scorer container
 *   with `kubectl exec`/`kubectl cp`.
 * - With the panels in the object store and the model behind a URI the
 *   scorer mounts no data volume (src/desired/data-mode.ts): no label, no
 *   affinity, and a default topology spread unless the spec sets one.
 * - The pod template carries `maie.io/config-hash`, the sha256 of the
 *   template itself: any change that needs new pods changes the hash, and
 *   nothing else does.
 */

export const SCORER_CONTAINER = "scorer";
export const APP_CONTAINER = "app";
export const CONFIG_HASH_ANNOTATION = "maie.io/config-hash";
/** Where the auth Secret is mounted, and the file the scorer reads the token from. */
export const AUTH_MOUNT = "/etc/maie/auth";
export const AUTH_TOKEN_FILE = `${AUTH_MOUNT}/token`;
/** 0440: readable by the owner and the pod's fsGroup only. */
const AUTH_FILE_MODE = 0o440;

const livenessProbe: V1Probe = {
  httpGet: { path: "/health", port: METRICS_PORT_NAME },
  periodSeconds: 10,
  timeoutSeconds: 2,
  failureThreshold: 3,
};
const readinessProbe: V1Probe = {
  httpGet: { path: "/ready", port: METRICS_PORT_NAME },
  periodSeconds: 5,
  timeoutSeconds: 2,
  failureThreshold: 3,
};
/**
 * Keeps serving for a few seconds after the pod is marked for deletion, while
 * Services and ingress controllers stop routing to it; then SIGTERM starts
 * the scorer's own drain (MAIE_SHUTDOWN_GRACE_MS, 10 s by default), well
 * within the default 30 s grace period.
 */
export const PRE_STOP_SLEEP_SECONDS = 5;

/** Up to 5 minutes for the first /health (WASM core compile, model load) before liveness takes over. */
const startupProbe: V1Probe = {
  httpGet: { path: "/health", port: METRICS_PORT_NAME },
  periodSeconds: 5,
  timeoutSeconds: 2,
  failureThreshold: 60,
};

function scorerContainer(cr: MaieDeployment, ctx: DesiredContext): V1Container {
  const { scorer, image } = cr.spec;
  const store = objectStoreAccess(cr);
  const data = scorerUsesDataVolume(cr);
  const env: V1EnvVar[] = [
    envVar(SCORER_ENV.dataDir, data ? DATA_MOUNT : SCRATCH_DATA_DIR),
    envVar(SCORER_ENV.port, scorer.port),
    envVar(SCORER_ENV.metricsPort, scorerMetricsPort(cr)),
    ...modelEnv(cr, { poll: true }),
    envVar(SCORER_ENV.readinessRequiresModel, scorer.readinessRequiresModel),
    envVar(SCORER_ENV.logLevel, scorer.logLevel),
    ...panelStoreEnv(cr),
    ...store.env,
  ];
  const volumeMounts: V1VolumeMount[] = [...(data ? [dataMountReadOnly] : []), tmpMount(), ...store.mounts];
  if (scorer.auth !== undefined) {
    env.push(envVar(SCORER_ENV.tokenFile, AUTH_TOKEN_FILE));
    volumeMounts.push({ name: VOLUMES.auth, mountPath: AUTH_MOUNT, readOnly: true });
  }
  return {
    name: SCORER_CONTAINER,
    image: scorerImage(cr, ctx),
    imagePullPolicy: image.pullPolicy,
    args: ["scorer"],
    ports: [
      { name: HTTP_PORT_NAME, containerPort: scorer.port, protocol: "TCP" },
      { name: METRICS_PORT_NAME, containerPort: scorerMetricsPort(cr), protocol: "TCP" },
    ],
    env,
    resources: resourceRequirements(scorer.resources, "spec.scorer.resources"),
    livenessProbe,
    readinessProbe,
    startupProbe,
    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
    securityContext: containerSecurityContext(),
    volumeMounts,
  };
}

function appContainer(cr: MaieDeployment): V1Container | undefined {
  const { app } = cr.spec;
  if (app === undefined) return undefined;
  if (app.port === cr.spec.scorer.port) {
    throw new InvalidSpecError(
      "spec.app.port",
      `${app.port} is already the scorer's port (spec.scorer.port)`,
    );
  }
  return {
    name: APP_CONTAINER,
    // spec.image (and its pullPolicy) is about the MAIE image; the app's pull policy is Kubernetes' default.
    image: app.image,
    command: app.command,
    args: app.args,
    ports:
      app.port !== undefined
        ? [{ name: APP_PORT_NAME, containerPort: app.port, protocol: "TCP" }]
        : undefined,
    env: nonEmptyList(mergeEnv([], passThroughList<V1EnvVar>(app.env) ?? [])),
    resources: resourceRequirements(app.resources, "spec.app.resources"),
    securityContext: containerSecurityContext(),
    // The user's own application may write to the volume (its own files): only the scorer's mount is read-only.
    volumeMounts: [...(scorerUsesDataVolume(cr) ? [dataMount] : []), tmpMount(VOLUMES.appTmp)],
  };
}

function podTemplate(cr: MaieDeployment, ctx: DesiredContext): V1PodTemplateSpec {
  const { spec } = cr;
  const containers = [scorerContainer(cr, ctx)];
  const data = scorerUsesDataVolume(cr);
  const volumes: V1Volume[] = [
    ...(data ? [dataVolume(cr)] : []),
    tmpVolume(),
    ...objectStoreAccess(cr).volumes,
  ];
  const app = appContainer(cr);
  if (app !== undefined) {
    containers.push(app);
    volumes.push(tmpVolume(VOLUMES.appTmp));
  }
  if (spec.scorer.auth !== undefined) {
    const ref = spec.scorer.auth.tokenSecretRef;
    volumes.push({
      name: VOLUMES.auth,
      secret: { secretName: ref.name, items: [{ key: ref.key, path: "token" }], defaultMode: AUTH_FILE_MODE },
    });
  }
  checkPodAnnotations(spec.podAnnotations);
  return {
    metadata: {
      // Our labels win: the selector labels must stay on every pod, and the
      // data-volume label is what the other sharers' affinity looks for.
      labels: { ...spec.podLabels, ...commonLabels(cr, "scorer"), ...(data ? dataVolumeLabels(cr) : {}) },
      annotations: {
        ...spec.podAnnotations,
        "kubectl.kubernetes.io/default-container": SCORER_CONTAINER,
      },
    },
    spec: {
      ...commonPodSpec(cr, containers, volumes),
      // The user's affinity replaces ours entirely: merging would leave them
      // unable to drop our term. The label stays, so the jobs still follow
      // the scorer's node; the replicas' own placement is then the user's.
      affinity:
        spec.affinity !== undefined
          ? passThrough<V1Affinity>(spec.affinity)
          : data
            ? dataVolumeAffinity(cr)
            : undefined,
      // An empty list from the spec is a choice too (no constraints); only an unset field gets the default.
      topologySpreadConstraints:
        spec.topologySpreadConstraints === undefined && !data
          ? defaultScorerSpread(cr)
          : passThroughList<V1TopologySpreadConstraint>(spec.topologySpreadConstraints),
    },
  };
}

/** The hash of everything that, when changed, needs new pods: the pod template itself. */
export function configHash(template: V1PodTemplateSpec): string {
  return sha256Of(template);
}

export function buildDeployment(cr: MaieDeployment, ctx: DesiredContext): KubeObject {
  const template = podTemplate(cr, ctx);
  const hash = configHash(template);
  const deployment: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: childMeta(cr, names.deployment(cr), "scorer"),
    spec: {
      replicas: cr.spec.autoscaling.enabled ? undefined : cr.spec.replicas,
      selector: { matchLabels: selectorLabels(cr, "scorer") },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          annotations: nonEmpty({ ...template.metadata?.annotations, [CONFIG_HASH_ANNOTATION]: hash }),
        },
      },
    },
  };
  return toKubeObject(deployment);
}

/**
 * The scorer pods' label selector as a string, for the scale subresource's
 * `status.selector` (what `kubectl scale` and an HPA on the resource read).
 */
export function scaleSelector(cr: MaieDeployment): string {
  return Object.entries(selectorLabels(cr, "scorer"))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
