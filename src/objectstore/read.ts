/**
 * Reading one object: `head` (metadata only) and `getIfChanged`, the
 * conditional GET that pollers (scorer models, panels) call every interval.
 * Bodies are read into memory, bounded by a named limit and hashed while
 * they stream.
 */
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type GetObjectCommandOutput,
} from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { readBounded, fullObjectSha256 } from "./bounded-read.js";
import { endpointLabel } from "./config.js";
import { classify, digestMismatch, ObjectStoreError, tooLarge } from "./errors.js";
import { refOf, runOperation, type StoreContext } from "./operation.js";
import { formatS3Uri, type ObjectAddress, type ObjectRef } from "./uri.js";

/**
 * Largest object read into memory when the caller names no limit: 512 MiB,
 * the scorer's limit for watched files (src/scorer/reload.ts).
 */
export const MAX_OBJECT_BYTES = 512 * 1024 * 1024;

export interface ObjectInfo {
  readonly ref: ObjectRef;
  readonly size: number;
  /** As the store sends it, quotes included: what If-None-Match takes back. */
  readonly etag: string;
  readonly lastModified: Date | undefined;
  /** Present on versioned buckets. */
  readonly versionId?: string;
  /** The store's whole-object SHA-256 (hex) when it kept one (single-request uploads with a checksum). */
  readonly sha256?: string;
}

export type GetResult =
  | { readonly kind: "not-modified"; readonly etag: string }
  | {
      readonly kind: "object";
      readonly bytes: Buffer;
      readonly etag: string;
      readonly versionId?: string;
      /** SHA-256 (hex) of `bytes`, computed while reading. */
      readonly sha256: string;
      readonly lastModified: Date | undefined;
    };

export interface GetOptions {
  /** The ETag the caller holds; a matching object answers not-modified without a body. */
  readonly etag?: string;
  /** Refuse a larger object, before reading its body when the store states its size. @default MAX_OBJECT_BYTES */
  readonly maxBytes?: number;
  /** The limit's name in the error. @default "MAX_OBJECT_BYTES" */
  readonly maxBytesName?: string;
  /** Refuse an object whose SHA-256 (hex) differs (a pinned model). */
  readonly expectedSha256?: string;
  /** Who expects `expectedSha256`, for the message. @default "the expected digest" */
  readonly expectedBy?: string;
}

function isNotModified(err: unknown): boolean {
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return meta?.httpStatusCode === 304;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * A 404 on HEAD carries no body, so it cannot say whether the key or the
 * bucket is missing; HeadBucket tells, so the message names the right fix.
 */
async function missingBucketOrKey(
  ctx: StoreContext,
  ref: ObjectRef,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await ctx.client.send(new HeadBucketCommand({ Bucket: ref.bucket }), { abortSignal: signal });
  } catch (err) {
    const e = classify(err, { op: "check", endpoint: endpointLabel(ctx.config), ref });
    if (e.kind === "not-found" || e.code === "NotFound")
      throw new ObjectStoreError(
        "no-such-bucket",
        `bucket ${ref.bucket} does not exist at ${endpointLabel(ctx.config)}: create it or fix spec.objectStore.bucket (or the URI's bucket)`,
        { cause: err, httpStatus: 404, code: "NoSuchBucket" },
      );
    throw e;
  }
}

/** The object's metadata, or undefined when the key does not exist (a missing bucket is an error). */
export function head(ctx: StoreContext, address: ObjectAddress): Promise<ObjectInfo | undefined> {
  const ref = refOf(ctx, address);
  return runOperation(ctx, { op: "check", ref, timeoutMs: ctx.tuning.operationTimeoutMs }, async (signal) => {
    try {
      const out = await ctx.client.send(
        new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, ChecksumMode: "ENABLED" }),
        { abortSignal: signal },
      );
      return {
        ref,
        size: out.ContentLength ?? 0,
        etag: out.ETag ?? "",
        lastModified: out.LastModified,
        ...optional("versionId", out.VersionId),
        ...optional(
          "sha256",
          out.ChecksumType === "COMPOSITE" ? undefined : fullObjectSha256(out.ChecksumSHA256),
        ),
      };
    } catch (err) {
      const e = classify(err, { op: "check", endpoint: endpointLabel(ctx.config), ref });
      if (e.kind !== "not-found") throw e;
      await missingBucketOrKey(ctx, ref, signal);
      return undefined;
    }
  });
}

/**
 * With ChecksumMode ENABLED the SDK hashes the body as it streams and fails
 * the read at its end when the store's whole-object SHA-256 differs (bytes
 * changed on the way or at rest). Its error is a bare Error with both
 * digests in base64 in the message: this makes it a digest-mismatch in hex.
 */
export function storeChecksumMismatch(ref: ObjectRef, err: unknown): ObjectStoreError | undefined {
  const message = err instanceof Error ? err.message : "";
  const m =
    /^Checksum mismatch: expected "([^"]+)" but received "([^"]+)" in response header "x-amz-checksum-sha256"/.exec(
      message,
    );
  if (m === null) return undefined;
  const computed = fullObjectSha256(m[1]) ?? m[1] ?? "";
  const stored = fullObjectSha256(m[2]) ?? m[2] ?? "";
  const e = digestMismatch(ref, computed, stored, "the store's checksum (x-amz-checksum-sha256)");
  return new ObjectStoreError(e.kind, e.message, { cause: err });
}

export function bodyOf(out: GetObjectCommandOutput): Readable & AsyncIterable<Uint8Array> {
  // In Node the SDK's body is an http.IncomingMessage (a Readable) with helpers mixed in.
  return out.Body as unknown as Readable & AsyncIterable<Uint8Array>;
}

/**
 * Fetches the object unless its ETag still equals `options.etag`. The body
 * is checked against the store's whole-object SHA-256 when it kept one (the
 * SDK does it while streaming) and against `expectedSha256` when given: a
 * mismatch is a "digest-mismatch" error and the bytes are not returned.
 */
export function getIfChanged(
  ctx: StoreContext,
  address: ObjectAddress,
  options: GetOptions = {},
): Promise<GetResult> {
  const ref = refOf(ctx, address);
  const maxBytes = options.maxBytes ?? MAX_OBJECT_BYTES;
  const maxBytesName = options.maxBytesName ?? "MAX_OBJECT_BYTES";
  return runOperation(ctx, { op: "read", ref, timeoutMs: ctx.tuning.operationTimeoutMs }, async (signal) => {
    let out: GetObjectCommandOutput;
    try {
      out = await ctx.client.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          ChecksumMode: "ENABLED",
          ...optional("IfNoneMatch", options.etag),
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      if (isNotModified(err) && options.etag !== undefined)
        return { kind: "not-modified", etag: options.etag };
      throw err;
    }
    const body = bodyOf(out);
    const abort = () => body.destroy(new Error("the operation deadline passed while reading the body"));
    signal?.addEventListener("abort", abort, { once: true });
    try {
      const declared = out.ContentLength;
      if (declared !== undefined && declared > maxBytes)
        throw tooLarge(ref, declared, maxBytes, maxBytesName);
      const read = await readBounded(body, maxBytes, (n) => tooLarge(ref, n, maxBytes, maxBytesName)).catch(
        (err: unknown) => {
          throw storeChecksumMismatch(ref, err) ?? err;
        },
      );
      if (declared !== undefined && read.bytes.length !== declared)
        throw new ObjectStoreError(
          "unavailable",
          `cannot read ${formatS3Uri(ref)}: the answer ended after ${read.bytes.length} of ${declared} bytes; it is retried later`,
          { code: "ERR_STREAM_PREMATURE_CLOSE" },
        );
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== read.sha256)
        throw digestMismatch(
          ref,
          read.sha256,
          options.expectedSha256,
          options.expectedBy ?? "the expected digest",
        );
      return {
        kind: "object",
        bytes: read.bytes,
        etag: out.ETag ?? "",
        sha256: read.sha256,
        lastModified: out.LastModified,
        ...optional("versionId", out.VersionId),
      };
    } finally {
      signal?.removeEventListener("abort", abort);
      // Refused or failed midway: drop the connection rather than drain a large body.
      if (!body.readableEnded) body.destroy();
    }
  });
}
