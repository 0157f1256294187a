/**
 * The S3 client for a config: endpoint, path style, credentials (static keys
 * or the SDK's default chain), an extra CA bundle, and bounded retries and
 * timeouts so a dead or hanging store fails a request in bounded time.
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { rootCertificates } from "node:tls";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { OBJECT_STORE_ENV } from "../contract/env.js";
import type { ObjectStoreConfig } from "./config.js";
import { ObjectStoreError } from "./errors.js";

/** Retry and timeout bounds. Every field has a default (DEFAULT_TUNING). */
export interface ClientTuning {
  /** Attempts per request, the first included (the SDK's standard retry mode: backoff with jitter). */
  readonly maxAttempts: number;
  /** Time to establish a TCP (and TLS) connection. */
  readonly connectTimeoutMs: number;
  /** Longest silence on an open connection (headers or body) before the attempt fails. */
  readonly socketTimeoutMs: number;
  /**
   * Whole-operation deadline for reads, listings and deletes, retries and
   * body included: a store that trickles bytes cannot hold a caller forever.
   * Uploads are bounded per request by socketTimeoutMs instead (a large
   * backup legitimately takes long).
   */
  readonly operationTimeoutMs: number;
}

export const DEFAULT_TUNING: ClientTuning = {
  maxAttempts: 3,
  connectTimeoutMs: 5_000,
  socketTimeoutMs: 30_000,
  operationTimeoutMs: 120_000,
};

function readCaBundle(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new ObjectStoreError(
      "config",
      `cannot read the object store's CA bundle ${path} (${OBJECT_STORE_ENV.caBundle}): ${(err as Error).message}; check spec.objectStore.caBundle`,
      { cause: err },
    );
  }
}

/** Builds the client; reads the CA bundle file now, so a missing file fails at start, not at first use. */
export function createS3Client(config: ObjectStoreConfig, tuning: ClientTuning = DEFAULT_TUNING): S3Client {
  // An explicit `ca` replaces Node's roots: keep them, so a bundle for a private
  // CA does not break a public endpoint reached through the same agent.
  const ca =
    config.caBundlePath === undefined ? undefined : [...rootCertificates, readCaBundle(config.caBundlePath)];
  const options: S3ClientConfig = {
    region: config.region,
    forcePathStyle: config.pathStyle,
    maxAttempts: tuning.maxAttempts,
    retryMode: "standard",
    // Checksums only where this module asks for them: SHA-256 on every upload
    // (so the store verifies what it receives), and on reads with
    // ChecksumMode ENABLED, where the SDK checks the body against the store's
    // whole-object SHA-256 as it streams (read.ts maps a mismatch). The
    // SDK's default CRC32 on every request would add nothing to that.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: tuning.connectTimeoutMs,
      // Idle time on the socket, while waiting for headers and while reading the
      // body alike. (The SDK's requestTimeout only warns unless told otherwise.)
      socketTimeout: tuning.socketTimeoutMs,
      httpAgent: new HttpAgent({ keepAlive: true }),
      httpsAgent: new HttpsAgent({ keepAlive: true, ...(ca === undefined ? {} : { ca }) }),
    },
  };
  if (config.endpoint !== undefined) options.endpoint = config.endpoint;
  if (config.credentials.kind === "static") {
    const { accessKeyId, secretAccessKey, sessionToken } = config.credentials;
    options.credentials = {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    };
  }
  return new S3Client(options);
}
