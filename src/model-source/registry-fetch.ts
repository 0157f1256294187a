import { createHash } from "node:crypto";
import { LIMITS } from "../models/errors.js";
import { ObjectStore, requireObjectStoreEnv } from "../objectstore/index.js";
import type { FetchedModel, ModelFetch } from "./fetch.js";
import { MlflowClient, mlflowAccessFromEnv } from "./mlflow.js";
import { MLMODEL_MAX_BYTES, modelFileOf } from "./mlmodel.js";
import { registryVersionRef, type RegistryRef, type RegistryVersion } from "./registry-uri.js";
import { ModelSourceError } from "./source.js";

/**
 * A model from the MLflow Model Registry as a `ModelFetch`: each poll asks
 * the registry which version the URI names now (one small request) and
 * answers not-modified while it is the version already fetched; a new
 * version is read through its `MLmodel` file to the model file the flavor
 * names. Every error names the URI or the version it is about.
 */

type ArtifactRead = (file: string, maxBytes: number, maxBytesName: string) => Promise<Uint8Array>;

export function registryFetcher(
  uri: string,
  ref: RegistryRef,
  sha256Pin: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ModelFetch {
  const client = new MlflowClient(mlflowAccessFromEnv(env));
  let held: string | undefined;
  return async () => {
    const resolved = await client.resolve(ref).catch((err: unknown) => {
      throw new ModelSourceError(`${uri}: ${message(err)}`, { cause: err });
    });
    const registry: RegistryVersion = {
      name: resolved.name,
      ...("alias" in ref && { alias: ref.alias }),
      version: resolved.version,
      ...(resolved.runId !== undefined && { runId: resolved.runId }),
    };
    // A registered version's files never change: the version number is the ETag.
    const key = `${registry.name}/${registry.version}`;
    if (key === held) return "not-modified";
    try {
      if (resolved.status !== "READY")
        throw new Error(
          `the version is ${resolved.status}${resolved.statusMessage !== undefined ? ` (${resolved.statusMessage})` : ""}, not READY`,
        );
      const read = artifactReader(client, await client.artifactRoot(registry.name, registry.version), env);
      const file = modelFileOf(
        new TextDecoder().decode(await read("MLmodel", MLMODEL_MAX_BYTES, "MLMODEL_MAX_BYTES")),
      );
      const bytes = await read(file.path, LIMITS.maxModelBytes, "LIMITS.maxModelBytes");
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      if (sha256Pin !== undefined && sha256 !== sha256Pin)
        throw new Error(
          `${file.path} has sha256 ${sha256}, spec.model.sha256 pins ${sha256Pin}: a different model was registered under this version; not loaded`,
        );
      held = key;
      const fetched: FetchedModel = { bytes, sha256, registry };
      return fetched;
    } catch (err) {
      throw new ModelSourceError(`${registryVersionRef(registry)}: ${message(err)}`, { cause: err });
    }
  };
}

function artifactReader(
  client: MlflowClient,
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): ArtifactRead {
  if (root.startsWith("mlflow-artifacts:"))
    return (file, maxBytes, maxBytesName) => client.proxiedArtifact(root, file, maxBytes, maxBytesName);
  if (root.startsWith("s3://")) {
    const store = new ObjectStore(requireObjectStoreEnv(env, `the registry's artifact store ${root}`));
    return async (file, maxBytes, maxBytesName) => {
      const got = await store.getIfChanged(`${root.replace(/\/+$/, "")}/${file}`, { maxBytes, maxBytesName });
      if (got.kind === "not-modified")
        throw new Error(`${file}: the store answered not-modified to an unconditional read`);
      return new Uint8Array(got.bytes.buffer, got.bytes.byteOffset, got.bytes.byteLength);
    };
  }
  return () =>
    Promise.reject(
      new Error(
        `the registry keeps this version's files at ${root}, which a pod cannot read: run the tracking server with --serve-artifacts (mlflow-artifacts:) or an s3:// artifact store`,
      ),
    );
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
