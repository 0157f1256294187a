/**
 * Writing one object. Small in-memory bodies go in one PUT carrying their
 * SHA-256, which the store checks before it stores anything. Larger or
 * streamed bodies go through lib-storage's multipart upload with a SHA-256
 * per part; a failed upload is aborted, and until CompleteMultipartUpload
 * succeeds no reader sees any of it: the key keeps its previous object.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createHash } from "node:crypto";
import { pipeline, Transform, type Readable, type TransformCallback } from "node:stream";
import { hexToBase64, sha256Hex } from "./bounded-read.js";
import { refOf, runOperation, type StoreContext } from "./operation.js";
import type { ObjectAddress, ObjectRef } from "./uri.js";

/** In-memory bodies up to this size go in one PUT; larger ones, and every stream, in parts. */
export const MULTIPART_THRESHOLD_BYTES = 16 * 1024 * 1024;
/** Part size of multipart uploads (S3's minimum is 5 MiB; 10 000 parts of 8 MiB reach 78 GiB). */
export const PART_SIZE_BYTES = 8 * 1024 * 1024;
/** Parts in flight at once: memory held is about this many part sizes. */
export const UPLOAD_QUEUE_SIZE = 2;

export interface UploadOptions {
  readonly contentType?: string;
  /** @default MULTIPART_THRESHOLD_BYTES */
  readonly multipartThresholdBytes?: number;
  /** @default PART_SIZE_BYTES */
  readonly partSizeBytes?: number;
  /** Deadline for the whole upload; none by default (each request is bounded by the client's socket timeout). */
  readonly timeoutMs?: number;
}

export interface UploadResult {
  readonly ref: ObjectRef;
  readonly etag: string;
  readonly versionId?: string;
  /** SHA-256 (hex) of the bytes sent. */
  readonly sha256: string;
  readonly size: number;
}

/**
 * A stream's bytes passed through unchanged, counted and hashed on the way.
 * No public `size` or `length`: lib-storage takes either as the body's total.
 */
class Hashing extends Transform {
  readonly #hash = createHash("sha256");
  #bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    done(null, chunk);
  }
  digest(): { readonly sha256: string; readonly size: number } {
    return { sha256: this.#hash.digest("hex"), size: this.#bytes };
  }
}

export function upload(
  ctx: StoreContext,
  address: ObjectAddress,
  body: Uint8Array | Readable,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const ref = refOf(ctx, address);
  const threshold = options.multipartThresholdBytes ?? MULTIPART_THRESHOLD_BYTES;
  const contentType = options.contentType === undefined ? {} : { ContentType: options.contentType };
  return runOperation(ctx, { op: "write", ref, timeoutMs: options.timeoutMs }, async (signal) => {
    if (body instanceof Uint8Array && body.byteLength <= threshold) {
      const sha256 = sha256Hex(body);
      const out = await ctx.client.send(
        new PutObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          Body: body,
          ContentLength: body.byteLength,
          ChecksumSHA256: hexToBase64(sha256),
          ...contentType,
        }),
        { abortSignal: signal },
      );
      return {
        ref,
        etag: out.ETag ?? "",
        ...(out.VersionId === undefined ? {} : { versionId: out.VersionId }),
        sha256,
        size: body.byteLength,
      };
    }
    // The digest of a stream is known only once lib-storage has read all of it.
    let payload: Uint8Array | Hashing;
    let digest: () => { readonly sha256: string; readonly size: number };
    if (body instanceof Uint8Array) {
      const fixed = { sha256: sha256Hex(body), size: body.byteLength };
      payload = body;
      digest = () => fixed;
    } else {
      const hashed = new Hashing();
      // A failing source destroys `hashed`, which fails the upload; the error reaches the caller there.
      pipeline(body, hashed, () => undefined);
      payload = hashed;
      digest = () => hashed.digest();
    }
    const abortController = new AbortController();
    const onAbort = () => abortController.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const out = await new Upload({
        client: ctx.client,
        params: {
          Bucket: ref.bucket,
          Key: ref.key,
          Body: payload,
          ChecksumAlgorithm: "SHA256",
          ...contentType,
        },
        partSize: options.partSizeBytes ?? PART_SIZE_BYTES,
        queueSize: UPLOAD_QUEUE_SIZE,
        // Abort a failed upload so its parts do not linger (and cost) in the bucket.
        leavePartsOnError: false,
        abortController,
      }).done();
      return {
        ref,
        etag: out.ETag ?? "",
        ...(out.VersionId === undefined ? {} : { versionId: out.VersionId }),
        ...digest(),
      };
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (payload instanceof Hashing) payload.destroy();
    }
  });
}
