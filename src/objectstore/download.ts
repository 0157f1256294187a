/**
 * Reading one object into a local file: for objects too large to hold in
 * memory (backup archives), streamed to disk with a size bound and hashed on
 * the way. Like getIfChanged, the body is checked against the store's
 * whole-object SHA-256 when it kept one; a failed or refused download
 * leaves no file behind.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { open, unlink } from "node:fs/promises";
import { ObjectStoreError, tooLarge } from "./errors.js";
import { refOf, runOperation, type StoreContext } from "./operation.js";
import { bodyOf, storeChecksumMismatch } from "./read.js";
import { formatS3Uri, type ObjectAddress, type ObjectRef } from "./uri.js";

export interface DownloadOptions {
  /** Refuse a larger object: before its body when the store states the size, else once that many bytes arrived. */
  readonly maxBytes: number;
  /** The limit's name in the error. */
  readonly maxBytesName: string;
}

export interface DownloadResult {
  readonly ref: ObjectRef;
  readonly etag: string;
  readonly versionId?: string;
  readonly size: number;
  /** SHA-256 (hex) of the bytes written. */
  readonly sha256: string;
  readonly lastModified: Date | undefined;
}

/**
 * Writes the object to `path`, which must not exist (created 0600). No
 * whole-operation deadline, as for uploads: a large archive legitimately
 * takes long; a stalled answer is cut by the client's socket idle timeout.
 */
export function download(
  ctx: StoreContext,
  address: ObjectAddress,
  path: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const ref = refOf(ctx, address);
  return runOperation(ctx, { op: "read", ref, timeoutMs: undefined }, async (signal) => {
    const out = await ctx.client.send(
      new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ChecksumMode: "ENABLED" }),
      { abortSignal: signal },
    );
    const body = bodyOf(out);
    const declared = out.ContentLength;
    let file: Awaited<ReturnType<typeof open>> | undefined;
    try {
      if (declared !== undefined && declared > options.maxBytes)
        throw tooLarge(ref, declared, options.maxBytes, options.maxBytesName);
      file = await open(path, "wx", 0o600);
      const hash = createHash("sha256");
      let size = 0;
      try {
        // The Readable half of the type iterates any; the body yields bytes.
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength;
          if (size > options.maxBytes) throw tooLarge(ref, size, options.maxBytes, options.maxBytesName);
          hash.update(chunk);
          for (let off = 0; off < chunk.byteLength;)
            off += (await file.write(chunk, off, chunk.byteLength - off)).bytesWritten;
        }
      } catch (err) {
        throw storeChecksumMismatch(ref, err) ?? err;
      }
      if (declared !== undefined && size !== declared)
        throw new ObjectStoreError(
          "unavailable",
          `cannot read ${formatS3Uri(ref)}: the answer ended after ${size} of ${declared} bytes; try again`,
          { code: "ERR_STREAM_PREMATURE_CLOSE" },
        );
      await file.close();
      file = undefined;
      return {
        ref,
        etag: out.ETag ?? "",
        ...(out.VersionId === undefined ? {} : { versionId: out.VersionId }),
        size,
        sha256: hash.digest("hex"),
        lastModified: out.LastModified,
      };
    } catch (err) {
      if (file !== undefined) {
        await file.close().catch(() => undefined);
        await unlink(path).catch(() => undefined);
      }
      throw err;
    } finally {
      if (!body.readableEnded) body.destroy();
    }
  });
}
