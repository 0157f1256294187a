/** Listing keys under a prefix, and the newest object there. */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ObjectStoreError } from "./errors.js";
import { pickNewest, type ListedObject } from "./newest.js";
import { refOf, runOperation, type StoreContext } from "./operation.js";
import { formatS3Uri, type ObjectAddress, type ObjectRef } from "./uri.js";

/**
 * Most keys one listing returns. A listing is held in memory; a prefix with
 * more keys than this is a misconfigured prefix (the bucket's root?), so it
 * is refused rather than paged through for minutes.
 */
export const MAX_LISTED_OBJECTS = 100_000;

export interface ListedRef extends ListedObject {
  readonly ref: ObjectRef;
}

/**
 * Every object whose key starts with the prefix (a relative prefix lives
 * under the configured one; "" is the configured prefix itself). A relative
 * or URI prefix is taken literally: `backups/` lists that folder, `backups`
 * also matches `backups-old/`.
 */
export function list(ctx: StoreContext, prefix: ObjectAddress): Promise<ListedRef[]> {
  const ref = refOf(ctx, prefix, { allowEmptyKey: true });
  return runOperation(
    ctx,
    { op: "list", ref, isPrefix: true, timeoutMs: ctx.tuning.operationTimeoutMs },
    async (signal) => {
      const found: ListedRef[] = [];
      let token: string | undefined;
      do {
        const out = await ctx.client.send(
          new ListObjectsV2Command({
            Bucket: ref.bucket,
            Prefix: ref.key,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
          { abortSignal: signal },
        );
        for (const o of out.Contents ?? []) {
          if (o.Key === undefined) continue;
          found.push({
            ref: { bucket: ref.bucket, key: o.Key },
            key: o.Key,
            size: o.Size ?? 0,
            etag: o.ETag ?? "",
            lastModified: o.LastModified ?? new Date(0),
          });
        }
        if (found.length > MAX_LISTED_OBJECTS)
          throw new ObjectStoreError(
            "too-large",
            `more than MAX_LISTED_OBJECTS (${MAX_LISTED_OBJECTS}) objects under ${formatS3Uri(ref)}: use a narrower prefix`,
          );
        token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
      } while (token !== undefined);
      return found;
    },
  );
}

/** The newest object under `prefix` whose key ends with one of `suffixes` (any key when empty). */
export async function newestUnder(
  ctx: StoreContext,
  prefix: ObjectAddress,
  suffixes: readonly string[],
): Promise<ListedRef | undefined> {
  return pickNewest(await list(ctx, prefix), suffixes);
}
