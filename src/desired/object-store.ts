import type { V1EnvVar, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import { ENV, MLFLOW_ENV, OBJECT_STORE_ENV } from "../contract/env.js";
import { durationSeconds } from "../monitoring/promql.js";
import { envVar } from "./pod.js";

/**
 * How the pods that fetch models (scorer, pipeline) learn where the model
 * and the object store are (design §2: `spec.model`, `spec.objectStore`).
 * The credentials Secret is referenced, never read: the kubelet puts its
 * keys into the environment, under the names the AWS SDK reads itself.
 */

/** Volume holding the object store's CA bundle, and where it is mounted. */
export const CA_BUNDLE_VOLUME = "object-store-ca";
export const CA_BUNDLE_MOUNT = "/etc/maie/object-store-ca";
const CA_BUNDLE_FILE = "ca.pem";

/** The model's source: a path on the data volume, or a URI with an optional pin. */
export function modelEnv(cr: MaieDeployment, options: { readonly poll: boolean }): V1EnvVar[] {
  const { model } = cr.spec;
  const env = [envVar(ENV.modelPath, model.path), envVar(ENV.modelFormat, model.format)];
  if (model.uri === undefined) return env;
  env.push(envVar(ENV.modelUri, model.uri));
  if (model.sha256 !== undefined) env.push(envVar(ENV.modelSha256, model.sha256));
  if (model.mlflow !== undefined) env.push(...mlflowEnv(model.mlflow));
  if (options.poll && model.sha256 === undefined)
    env.push(envVar(ENV.modelPollSeconds, Math.max(1, Math.round(durationSeconds(model.pollInterval)))));
  return env;
}

/**
 * The tracking server and, from the Secret the resource names, MLflow's own
 * credential variables: each key optional, since a server takes a token or
 * a username and password.
 */
function mlflowEnv(mlflow: NonNullable<MaieDeployment["spec"]["model"]["mlflow"]>): V1EnvVar[] {
  const env = [envVar(MLFLOW_ENV.trackingUri, mlflow.trackingUri)];
  const secret = mlflow.credentials?.secretRef.name;
  if (secret === undefined) return env;
  for (const key of [MLFLOW_ENV.token, MLFLOW_ENV.username, MLFLOW_ENV.password])
    env.push({ name: key, valueFrom: { secretKeyRef: { name: secret, key, optional: true } } });
  return env;
}

/** What a container needs to reach the object store; empty when the resource has none. */
export interface ObjectStoreAccess {
  readonly env: V1EnvVar[];
  readonly volumes: V1Volume[];
  readonly mounts: V1VolumeMount[];
}

export function objectStoreAccess(cr: MaieDeployment): ObjectStoreAccess {
  const store = cr.spec.objectStore;
  if (store === undefined) return { env: [], volumes: [], mounts: [] };
  const env: V1EnvVar[] = [
    envVar(OBJECT_STORE_ENV.bucket, store.bucket),
    envVar(OBJECT_STORE_ENV.region, store.region),
    envVar(OBJECT_STORE_ENV.pathStyle, store.forcePathStyle),
  ];
  if (store.endpoint !== undefined) env.push(envVar(OBJECT_STORE_ENV.endpoint, store.endpoint));
  if (store.prefix !== undefined) env.push(envVar(OBJECT_STORE_ENV.prefix, store.prefix));
  const secret = store.credentials?.secretRef.name;
  if (secret !== undefined) {
    const fromSecret = (name: string, key: string, optional: boolean): V1EnvVar => ({
      name,
      valueFrom: { secretKeyRef: { name: secret, key, optional } },
    });
    env.push(
      fromSecret(OBJECT_STORE_ENV.accessKeyId, OBJECT_STORE_ENV.accessKeyId, false),
      fromSecret(OBJECT_STORE_ENV.secretAccessKey, OBJECT_STORE_ENV.secretAccessKey, false),
      fromSecret(OBJECT_STORE_ENV.sessionToken, OBJECT_STORE_ENV.sessionToken, true),
    );
  }
  const ca = store.caBundle?.configMapRef;
  if (ca === undefined) return { env, volumes: [], mounts: [] };
  env.push(envVar(OBJECT_STORE_ENV.caBundle, `${CA_BUNDLE_MOUNT}/${CA_BUNDLE_FILE}`));
  return {
    env,
    volumes: [
      {
        name: CA_BUNDLE_VOLUME,
        configMap: { name: ca.name, items: [{ key: ca.key, path: CA_BUNDLE_FILE }] },
      },
    ],
    mounts: [{ name: CA_BUNDLE_VOLUME, mountPath: CA_BUNDLE_MOUNT, readOnly: true }],
  };
}

/**
 * The TCP ports the scorer's NetworkPolicy must let it reach for its model:
 * the object store's endpoint port (443 for AWS), or the HTTPS model URL's.
 * Empty when the model is a file on the data volume.
 */
export function modelEgressPorts(cr: MaieDeployment): number[] {
  const { model, objectStore } = cr.spec;
  if (model.uri === undefined) return [];
  // A registered model: the tracking server, and the object store when its artifact store is S3.
  if (model.mlflow !== undefined)
    return [
      ...new Set([
        urlPort(model.mlflow.trackingUri),
        ...(objectStore !== undefined ? [storePort(objectStore)] : []),
      ]),
    ];
  const url = model.uri.startsWith("s3://") ? objectStore?.endpoint : model.uri;
  return [url === undefined ? 443 : urlPort(url)];
}

/** The TCP port of the object store (443 for AWS, which has no endpoint set). */
export function storePort(store: { readonly endpoint?: string }): number {
  return store.endpoint === undefined ? 443 : urlPort(store.endpoint);
}

function urlPort(url: string): number {
  const parsed = new URL(url);
  return parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "http:" ? 80 : 443;
}
