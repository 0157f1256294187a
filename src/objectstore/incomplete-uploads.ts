/**
 * Multipart uploads that were started and never completed or aborted: what
 * a writer killed mid-upload leaves behind. They are invisible to readers
 * but hold storage until aborted, here or by a bucket lifecycle rule
 * (AbortIncompleteMultipartUpload).
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { refOf, runOperation, type StoreContext } from "./operation.js";
import type { ObjectAddress, ObjectRef } from "./uri.js";

export interface IncompleteUpload {
  readonly ref: ObjectRef;
  readonly uploadId: string;
  readonly initiated: Date | undefined;
}

export function listIncompleteUploads(ctx: StoreContext, prefix: ObjectAddress): Promise<IncompleteUpload[]> {
  const ref = refOf(ctx, prefix, { allowEmptyKey: true });
  return runOperation(
    ctx,
    { op: "list uploads of", ref, isPrefix: true, timeoutMs: ctx.tuning.operationTimeoutMs },
    async (signal) => {
      const found: IncompleteUpload[] = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const out = await ctx.client.send(
          new ListMultipartUploadsCommand({
            Bucket: ref.bucket,
            Prefix: ref.key,
            ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
            ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
          }),
          { abortSignal: signal },
        );
        for (const u of out.Uploads ?? [])
          if (u.Key !== undefined && u.UploadId !== undefined)
            found.push({
              ref: { bucket: ref.bucket, key: u.Key },
              uploadId: u.UploadId,
              initiated: u.Initiated,
            });
        if (out.IsTruncated !== true) return found;
        keyMarker = out.NextKeyMarker;
        uploadIdMarker = out.NextUploadIdMarker;
      }
    },
  );
}

/**
 * Aborts the incomplete uploads under `prefix` started before `startedBefore`
 * (leave a margin: a running writer's upload is incomplete too). Returns those aborted.
 */
export async function abortIncompleteUploads(
  ctx: StoreContext,
  prefix: ObjectAddress,
  startedBefore: Date,
): Promise<IncompleteUpload[]> {
  const stale = (await listIncompleteUploads(ctx, prefix)).filter(
    (u) => u.initiated !== undefined && u.initiated.getTime() < startedBefore.getTime(),
  );
  for (const u of stale)
    await runOperation(
      ctx,
      { op: "abort the upload of", ref: u.ref, timeoutMs: ctx.tuning.operationTimeoutMs },
      (signal) =>
        ctx.client.send(
          new AbortMultipartUploadCommand({ Bucket: u.ref.bucket, Key: u.ref.key, UploadId: u.uploadId }),
          { abortSignal: signal },
        ),
    );
  return stale;
}
