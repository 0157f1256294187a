/**
 * What every operation shares: the client and config it runs with, the
 * operation deadline, and turning whatever went wrong into one
 * ObjectStoreError.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { ClientTuning } from "./client.js";
import { endpointLabel, type ObjectStoreConfig } from "./config.js";
import { classify, ObjectStoreError } from "./errors.js";
import { formatS3Uri, resolveAddress, type ObjectAddress, type ObjectRef } from "./uri.js";

export interface StoreContext {
  readonly client: S3Client;
  readonly config: ObjectStoreConfig;
  readonly tuning: ClientTuning;
}

export function refOf(
  ctx: StoreContext,
  address: ObjectAddress,
  options: { readonly allowEmptyKey?: boolean } = {},
): ObjectRef {
  return resolveAddress(address, ctx.config, options);
}

export interface OperationOptions {
  /** Verb for messages: "read", "write", "list", "delete", "check". */
  readonly op: string;
  readonly ref: ObjectRef;
  readonly isPrefix?: boolean;
  /** Deadline for the whole operation; undefined: none beyond the per-request timeouts. */
  readonly timeoutMs: number | undefined;
}

/**
 * Runs `body` under the operation's deadline (its signal goes to every SDK
 * call and body read) and classifies any failure. A deadline that fired is
 * reported as such, not as the SDK's bare "Request aborted".
 */
export async function runOperation<T>(
  ctx: StoreContext,
  options: OperationOptions,
  body: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  const signal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  try {
    return await body(signal);
  } catch (err) {
    if (signal?.aborted === true && !(err instanceof ObjectStoreError)) {
      const what =
        options.isPrefix === true ? `objects under ${formatS3Uri(options.ref)}` : formatS3Uri(options.ref);
      throw new ObjectStoreError(
        "unavailable",
        `cannot ${options.op} ${what}: the object store at ${endpointLabel(ctx.config)} did not finish within ${options.timeoutMs} ms (operationTimeoutMs); it is retried later: check the store's health and the network`,
        { cause: err, code: "TimeoutError" },
      );
    }
    throw classify(err, {
      op: options.op,
      endpoint: endpointLabel(ctx.config),
      ref: options.ref,
      ...(options.isPrefix === undefined ? {} : { isPrefix: options.isPrefix }),
    });
  }
}
