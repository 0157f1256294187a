import { createHash } from "node:crypto";
import { LIMITS } from "../models/errors.js";
import { ObjectStore, requireObjectStoreEnv } from "../objectstore/index.js";
import { readCapped, refuseStatedOver } from "./capped-body.js";
import { registryFetcher } from "./registry-fetch.js";
import { parseRegistryUri, type RegistryVersion } from "./registry-uri.js";
import type { UriModelSource } from "./source.js";

/**
 * Fetches a model object, conditionally: the caller passes the ETag it holds
 * and gets "not-modified" back when the object is the same, so a poll costs
 * one small request. Bounded by LIMITS.maxModelBytes, refused before the
 * body is read when the server states a larger size; a pinned digest that
 * does not match is an error, never a load.
 */

export interface FetchedModel {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  /** The registered version, for a models:/ URI. */
  readonly registry?: RegistryVersion;
  readonly etag?: string;
  readonly versionId?: string;
  readonly lastModified?: Date;
}

export type ModelFetch = (heldEtag: string | undefined) => Promise<FetchedModel | "not-modified">;

/** A whole https:// fetch (headers and body) may take this long. */
export const HTTPS_MODEL_TIMEOUT_MS = 120_000;

export function modelFetcher(
  source: UriModelSource,
  env: Readonly<Record<string, string | undefined>>,
): ModelFetch {
  const registryRef = parseRegistryUri(source.uri);
  if (registryRef !== undefined) return registryFetcher(source.uri, registryRef, source.sha256, env);
  if (source.uri.startsWith("s3://")) {
    const store = new ObjectStore(requireObjectStoreEnv(env, `the model ${source.uri}`));
    return async (etag) => {
      const got = await store.getIfChanged(source.uri, {
        ...(etag !== undefined && { etag }),
        maxBytes: LIMITS.maxModelBytes,
        maxBytesName: "LIMITS.maxModelBytes",
        ...(source.sha256 !== undefined && {
          expectedSha256: source.sha256,
          expectedBy: "spec.model.sha256",
        }),
      });
      if (got.kind === "not-modified") return "not-modified";
      return {
        bytes: new Uint8Array(got.bytes.buffer, got.bytes.byteOffset, got.bytes.byteLength),
        sha256: got.sha256,
        etag: got.etag,
        ...(got.versionId !== undefined && { versionId: got.versionId }),
        ...(got.lastModified !== undefined && { lastModified: got.lastModified }),
      };
    };
  }
  return (etag) => fetchHttps(source, etag);
}

async function fetchHttps(
  source: UriModelSource,
  etag: string | undefined,
): Promise<FetchedModel | "not-modified"> {
  const where = `GET ${source.uri}`;
  let res: Response;
  try {
    res = await fetch(source.uri, {
      headers: etag !== undefined ? { "if-none-match": etag } : {},
      signal: AbortSignal.timeout(HTTPS_MODEL_TIMEOUT_MS),
      redirect: "follow",
    });
  } catch (err) {
    throw new Error(`${where}: ${describe(err)}`, { cause: err });
  }
  if (res.status === 304) return "not-modified";
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`${where}: ${res.status} ${res.statusText}`);
  }
  await refuseStatedOver(res, where, LIMITS.maxModelBytes, "LIMITS.maxModelBytes");
  const bytes = await readCapped(res, where, LIMITS.maxModelBytes, "LIMITS.maxModelBytes");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (source.sha256 !== undefined && sha256 !== source.sha256)
    throw new Error(
      `${where}: the object's sha256 is ${sha256}, spec.model.sha256 pins ${source.sha256}: the object was replaced or tampered with; not loaded`,
    );
  const newEtag = res.headers.get("etag");
  const modified = res.headers.get("last-modified");
  return {
    bytes,
    sha256,
    ...(newEtag !== null && { etag: newEtag }),
    ...(modified !== null && { lastModified: new Date(modified) }),
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return `${err.message}${cause}`;
  }
  return String(err);
}
