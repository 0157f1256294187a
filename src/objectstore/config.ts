/**
 * The object store's settings, from the environment the operator gives the
 * pods (src/desired/object-store.ts writes the same OBJECT_STORE_ENV names).
 * Pure: reading the CA bundle file is the client's job (client.ts).
 */
import { envValue, OBJECT_STORE_ENV } from "../contract/env.js";
import { ObjectStoreError } from "./errors.js";
import { isBucketName, normalizePrefix } from "./uri.js";

export type Credentials =
  /** Keys from the environment (a mounted Secret). */
  | {
      readonly kind: "static";
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string;
    }
  /** The AWS SDK's default chain: web identity (IRSA), EKS Pod Identity, instance role, shared config. */
  | { readonly kind: "default-chain" };

export interface ObjectStoreConfig {
  /** Custom endpoint (any S3-compatible store); AWS S3 in `region` when absent. */
  readonly endpoint?: string;
  readonly bucket: string;
  /** Key prefix everything relative lives under: "" or ending in '/'. */
  readonly prefix: string;
  readonly region: string;
  readonly pathStyle: boolean;
  /** PEM file of extra CAs to trust for the endpoint. */
  readonly caBundlePath?: string;
  readonly credentials: Credentials;
}

/** The region requests are signed for when none is set; S3-compatible stores accept any. */
export const DEFAULT_REGION = "us-east-1";

function fail(name: string, why: string): never {
  throw new ObjectStoreError("config", `${name} ${why}`);
}

function parseBool(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === "true") return true;
  if (value === "false") return false;
  return fail(name, `must be true or false, not ${JSON.stringify(value)}`);
}

function parseEndpoint(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(
      name,
      `must be a URL such as https://s3.example.com or http://minio.storage:9000, not ${JSON.stringify(value)}`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return fail(name, `must be an http:// or https:// URL, not ${JSON.stringify(value)}`);
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "")
    return fail(name, `must be the store's base URL with no path or query, not ${JSON.stringify(value)}`);
  if (url.username !== "" || url.password !== "")
    return fail(
      name,
      `must not carry credentials; use ${OBJECT_STORE_ENV.accessKeyId} and ${OBJECT_STORE_ENV.secretAccessKey}`,
    );
  return `${url.protocol}//${url.host}`;
}

function parseCredentials(env: Readonly<Record<string, string | undefined>>): Credentials {
  const accessKeyId = envValue(env, OBJECT_STORE_ENV.accessKeyId);
  const secretAccessKey = envValue(env, OBJECT_STORE_ENV.secretAccessKey);
  const sessionToken = envValue(env, OBJECT_STORE_ENV.sessionToken);
  if (accessKeyId === undefined && secretAccessKey === undefined) return { kind: "default-chain" };
  if (accessKeyId === undefined)
    return fail(
      OBJECT_STORE_ENV.accessKeyId,
      `is not set but ${OBJECT_STORE_ENV.secretAccessKey} is: the credentials Secret needs both keys`,
    );
  if (secretAccessKey === undefined)
    return fail(
      OBJECT_STORE_ENV.secretAccessKey,
      `is not set but ${OBJECT_STORE_ENV.accessKeyId} is: the credentials Secret needs both keys`,
    );
  return sessionToken === undefined
    ? { kind: "static", accessKeyId, secretAccessKey }
    : { kind: "static", accessKeyId, secretAccessKey, sessionToken };
}

/**
 * Reads the object store's settings. Returns undefined when no bucket is set
 * (the resource has no spec.objectStore); throws an ObjectStoreError of kind
 * "config" naming the variable when a value is malformed.
 */
export function parseObjectStoreEnv(
  env: Readonly<Record<string, string | undefined>>,
): ObjectStoreConfig | undefined {
  const bucket = envValue(env, OBJECT_STORE_ENV.bucket);
  if (bucket === undefined) {
    const stray = [OBJECT_STORE_ENV.endpoint, OBJECT_STORE_ENV.prefix, OBJECT_STORE_ENV.caBundle].find(
      (name) => envValue(env, name) !== undefined,
    );
    if (stray !== undefined) fail(OBJECT_STORE_ENV.bucket, `is not set but ${stray} is: set the bucket too`);
    return undefined;
  }
  if (!isBucketName(bucket))
    fail(
      OBJECT_STORE_ENV.bucket,
      `must be a bucket name (3-63 of a-z, 0-9, '.', '-'), not ${JSON.stringify(bucket)}`,
    );
  const endpoint = parseEndpoint(OBJECT_STORE_ENV.endpoint, envValue(env, OBJECT_STORE_ENV.endpoint));
  const region = envValue(env, OBJECT_STORE_ENV.region) ?? DEFAULT_REGION;
  if (!/^[a-z0-9-]+$/.test(region))
    fail(OBJECT_STORE_ENV.region, `must be a region such as us-east-1, not ${JSON.stringify(region)}`);
  let prefix: string;
  try {
    prefix = normalizePrefix(envValue(env, OBJECT_STORE_ENV.prefix) ?? "");
  } catch (err) {
    return fail(OBJECT_STORE_ENV.prefix, `is invalid: ${(err as Error).message}`);
  }
  const pathStyle = parseBool(OBJECT_STORE_ENV.pathStyle, envValue(env, OBJECT_STORE_ENV.pathStyle), false);
  const caBundlePath = envValue(env, OBJECT_STORE_ENV.caBundle);
  if (caBundlePath !== undefined && !caBundlePath.startsWith("/"))
    fail(OBJECT_STORE_ENV.caBundle, `must be an absolute file path, not ${JSON.stringify(caBundlePath)}`);
  return {
    ...(endpoint === undefined ? {} : { endpoint }),
    bucket,
    prefix,
    region,
    pathStyle,
    ...(caBundlePath === undefined ? {} : { caBundlePath }),
    credentials: parseCredentials(env),
  };
}

/** Like parseObjectStoreEnv, for a process that cannot work without the store (`why` says what needs it). */
export function requireObjectStoreEnv(
  env: Readonly<Record<string, string | undefined>>,
  why: string,
): ObjectStoreConfig {
  const config = parseObjectStoreEnv(env);
  if (config === undefined)
    fail(OBJECT_STORE_ENV.bucket, `is not set, but ${why} needs the object store: set spec.objectStore`);
  return config;
}

/** How messages name the store: its endpoint, or AWS S3 and the region. */
export function endpointLabel(config: Pick<ObjectStoreConfig, "endpoint" | "region">): string {
  return config.endpoint ?? `AWS S3 (${config.region})`;
}
