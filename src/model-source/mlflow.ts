import { ENV, MLFLOW_ENV, envValue } from "../contract/env.js";
import { readCapped, refuseStatedOver } from "./capped-body.js";
import { ModelSourceError } from "./source.js";
import type { RegistryRef } from "./registry-uri.js";

/**
 * The MLflow tracking server's REST API, as far as serving a registered
 * model needs it (MLflow 2.9+ and 3.x): resolve an alias or a version, find
 * where its artifacts are, read them through the server's artifact proxy
 * (`mlflow-artifacts:`). Every call is bounded in time and bytes, and every
 * failure says which server, which model and what to check.
 */

/** One registry call (JSON of a few hundred bytes) may take this long. */
export const MLFLOW_API_TIMEOUT_MS = 30_000;
/** A registry answer is small; more than this is not one. */
export const MLFLOW_API_MAX_BYTES = 1024 * 1024;
/** A whole artifact download (headers and body) may take this long. */
export const MLFLOW_ARTIFACT_TIMEOUT_MS = 120_000;

export interface MlflowAccess {
  /** http(s)://host[:port][/prefix], without a trailing slash. */
  readonly trackingUri: string;
  /** The Authorization header MLflow's own client would send, when credentials are set. */
  readonly authorization?: string;
}

/** The tracking server and credentials from the environment, under MLflow's own client's names. */
export function mlflowAccessFromEnv(env: Readonly<Record<string, string | undefined>>): MlflowAccess {
  const uri = envValue(env, ENV.mlflowTrackingUri);
  if (uri === undefined)
    throw new ModelSourceError(
      `a models:/ URI is resolved by an MLflow tracking server: set ${MLFLOW_ENV.trackingUri} (spec.model.mlflow.trackingUri)`,
    );
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(uri))
    throw new ModelSourceError(
      `${MLFLOW_ENV.trackingUri} must be http(s)://host[:port][/path], not ${JSON.stringify(uri)}`,
    );
  const token = envValue(env, ENV.mlflowTrackingToken);
  const username = envValue(env, ENV.mlflowTrackingUsername);
  const password = envValue(env, ENV.mlflowTrackingPassword);
  const authorization =
    token !== undefined
      ? `Bearer ${token}`
      : username !== undefined
        ? `Basic ${Buffer.from(`${username}:${password ?? ""}`).toString("base64")}`
        : undefined;
  return { trackingUri: uri.replace(/\/+$/, ""), ...(authorization !== undefined && { authorization }) };
}

/** A registered model version, as the registry describes it. */
export interface ModelVersion {
  readonly name: string;
  readonly version: string;
  readonly runId?: string;
  /** READY once its artifacts are in place. */
  readonly status: string;
  readonly statusMessage?: string;
}

interface ApiError {
  readonly error_code?: string;
  readonly message?: string;
}

interface RawModelVersion {
  readonly name?: string;
  readonly version?: string;
  readonly run_id?: string;
  readonly status?: string;
  readonly status_message?: string;
}

export class MlflowClient {
  constructor(readonly access: MlflowAccess) {}

  /** The version an alias points to now, or the pinned version itself. */
  async resolve(ref: RegistryRef): Promise<ModelVersion> {
    const body =
      "alias" in ref
        ? await this.#api<{ model_version?: RawModelVersion }>("registered-models/alias", {
            name: ref.name,
            alias: ref.alias,
          })
        : await this.#api<{ model_version?: RawModelVersion }>("model-versions/get", {
            name: ref.name,
            version: ref.version,
          });
    const mv = body.model_version;
    if (mv?.version === undefined) throw new Error("the registry's answer holds no model_version");
    return {
      name: mv.name ?? ref.name,
      version: mv.version,
      ...(mv.run_id !== undefined && mv.run_id !== "" && { runId: mv.run_id }),
      status: mv.status ?? "READY",
      ...(mv.status_message !== undefined &&
        mv.status_message !== "" && { statusMessage: mv.status_message }),
    };
  }

  /** Where the version's files are: `mlflow-artifacts:/…` (the server's proxy), `s3://…`, or a path. */
  async artifactRoot(name: string, version: string): Promise<string> {
    const body = await this.#api<{ artifact_uri?: string }>("model-versions/get-download-uri", {
      name,
      version,
    });
    if (body.artifact_uri === undefined) throw new Error("the registry's answer holds no artifact_uri");
    return body.artifact_uri;
  }

  /** One file under an `mlflow-artifacts:` root, through the tracking server's artifact proxy. */
  async proxiedArtifact(
    root: string,
    file: string,
    maxBytes: number,
    maxBytesName: string,
  ): Promise<Uint8Array> {
    const path = `${root.replace(/^mlflow-artifacts:\/*/, "").replace(/\/+$/, "")}/${file}`;
    const url = `${this.access.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${path.split("/").map(encodeURIComponent).join("/")}`;
    const res = await this.#get(url, MLFLOW_ARTIFACT_TIMEOUT_MS);
    const where = `artifact ${file}`;
    if (!res.ok) throw new Error(`${where}: ${await failure(res, this.access)}`);
    await refuseStatedOver(res, where, maxBytes, maxBytesName);
    return readCapped(res, where, maxBytes, maxBytesName);
  }

  async #api<T>(method: string, query: Record<string, string>): Promise<T> {
    const url = `${this.access.trackingUri}/api/2.0/mlflow/${method}?${new URLSearchParams(query).toString()}`;
    const res = await this.#get(url, MLFLOW_API_TIMEOUT_MS);
    if (!res.ok) throw new Error(await failure(res, this.access));
    const text = new TextDecoder().decode(
      await readCapped(res, method, MLFLOW_API_MAX_BYTES, "MLFLOW_API_MAX_BYTES"),
    );
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(
        `${method} answered ${res.status} without JSON: is ${this.access.trackingUri} an MLflow server?`,
      );
    }
  }

  async #get(url: string, timeoutMs: number): Promise<Response> {
    try {
      return await fetch(url, {
        headers: {
          accept: "application/json",
          ...(this.access.authorization !== undefined && { authorization: this.access.authorization }),
        },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "follow",
      });
    } catch (err) {
      throw new Error(
        `MLflow at ${this.access.trackingUri} did not answer (${describeCause(err)}): is the tracking server up, and spec.model.mlflow.trackingUri right?`,
        { cause: err },
      );
    }
  }
}

/** The server's own words on a failed call, with what to check for the usual ones. */
async function failure(res: Response, access: MlflowAccess): Promise<string> {
  let detail = "";
  try {
    const text = new TextDecoder().decode(await readCapped(res, "error", 16 * 1024, "16 KiB"));
    const body = JSON.parse(text) as ApiError;
    detail = [body.error_code, body.message].filter((s) => s !== undefined).join(": ");
  } catch {
    // Not JSON (a proxy's page, a cut body): the status line says enough.
  }
  const status = `${res.status} ${res.statusText}`.trim();
  if (res.status === 401 || res.status === 403)
    return `MLflow at ${access.trackingUri} refused the credentials (${status})${access.authorization === undefined ? " and none were sent" : ""}: check the Secret named by spec.model.mlflow.credentials (keys ${MLFLOW_ENV.token}, or ${MLFLOW_ENV.username} and ${MLFLOW_ENV.password})`;
  return detail === "" ? status : `${status}: ${detail}`;
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === "TimeoutError") return "timed out";
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause ?? err.message;
}
