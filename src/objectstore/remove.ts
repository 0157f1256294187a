/** Deleting one object. Idempotent: deleting a missing key succeeds, as S3 does. */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { refOf, runOperation, type StoreContext } from "./operation.js";
import type { ObjectAddress } from "./uri.js";

export function remove(ctx: StoreContext, address: ObjectAddress): Promise<void> {
  const ref = refOf(ctx, address);
  return runOperation(
    ctx,
    { op: "delete", ref, timeoutMs: ctx.tuning.operationTimeoutMs },
    async (signal) => {
      await ctx.client.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
        abortSignal: signal,
      });
    },
  );
}
