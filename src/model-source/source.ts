import { ENV, envValue } from "../contract/env.js";
import { REGISTRY_URI_PATTERN } from "./registry-uri.js";

/**
 * Where a fetched model comes from (design §2, `spec.model.uri`): the
 * operator sets these variables on the scorer and the pipeline; without a
 * URI both read the model file on the data volume as before.
 */
export interface UriModelSource {
  /** `s3://bucket/key` (through the object store), `https://host/path`, or `models:/name@alias|/version` (MLflow). */
  readonly uri: string;
  /** Only an object with this SHA-256 (hex) is accepted (`spec.model.sha256`). */
  readonly sha256?: string;
}

export class ModelSourceError extends Error {
  override readonly name = "ModelSourceError";
}

/** Every model URI a pod fetches: the scorer's config and this reader share it. */
export const MODEL_URI_PATTERN = new RegExp(
  `^(s3://[^/\\s]+/\\S+|https://[^/\\s]+/\\S*|${REGISTRY_URI_PATTERN})$`,
);
export const MODEL_URI_FORMS =
  "s3://<bucket>/<key>, https://<host>/<path>, models:/<name>@<alias> or models:/<name>/<version>";
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** The URI source named by the environment, or undefined when the model is a file. */
export function uriModelSource(
  env: Readonly<Record<string, string | undefined>>,
): UriModelSource | undefined {
  const uri = envValue(env, ENV.modelUri);
  const sha256 = envValue(env, ENV.modelSha256);
  if (uri === undefined) {
    if (sha256 !== undefined)
      throw new ModelSourceError(`${ENV.modelSha256} pins a fetched model: set ${ENV.modelUri} too`);
    return undefined;
  }
  if (!MODEL_URI_PATTERN.test(uri))
    throw new ModelSourceError(`${ENV.modelUri} must be ${MODEL_URI_FORMS}, not ${JSON.stringify(uri)}`);
  if (sha256 !== undefined && !SHA256_PATTERN.test(sha256))
    throw new ModelSourceError(
      `${ENV.modelSha256} must be 64 lowercase hex digits, not ${JSON.stringify(sha256)}`,
    );
  return sha256 === undefined ? { uri } : { uri, sha256 };
}
