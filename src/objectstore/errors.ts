/**
 * The small set of failures the object store reports, each with a message
 * that says what to do next. Callers branch on `kind` (and `retryable`),
 * never on SDK error names: `classify` is the one place that reads those.
 */
import { ENV } from "../contract/env.js";
import { formatS3Uri, type ObjectRef } from "./uri.js";

export type ObjectStoreErrorKind =
  /** Settings or an address are malformed: fix them, retrying cannot help. */
  | "config"
  | "no-such-bucket"
  | "not-found"
  /** Unknown key, wrong secret, expired token, or no permission. */
  | "credentials"
  /** Network, timeout, throttling or 5xx after the SDK's bounded retries: try again later. */
  | "unavailable"
  /** Any other refusal (4xx) of the request itself. */
  | "rejected"
  | "too-large"
  | "digest-mismatch";

export class ObjectStoreError extends Error {
  override readonly name = "ObjectStoreError";
  constructor(
    readonly kind: ObjectStoreErrorKind,
    message: string,
    options: { readonly cause?: unknown; readonly httpStatus?: number; readonly code?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.httpStatus = options.httpStatus;
    this.code = options.code;
  }
  readonly httpStatus: number | undefined;
  /** The store's error code (NoSuchBucket, AccessDenied, ...) or the socket's (ECONNREFUSED, ...). */
  readonly code: string | undefined;

  /** Only transient failures are worth another try; the others need a change first. */
  get retryable(): boolean {
    return this.kind === "unavailable";
  }
}

/** What was being done when an error happened, for the message. */
export interface ErrorContext {
  /** A verb phrase: "read", "write", "list", "delete", "check". */
  readonly op: string;
  /** The endpoint as the user configured it ("AWS S3 (us-east-1)" when none). */
  readonly endpoint: string;
  readonly ref: ObjectRef;
  /** For a `...Prefix` listing: the ref names a prefix, not an object. */
  readonly isPrefix?: boolean;
}

/** The parts of an SDK or socket error this module reads (everything optional: errors are untyped). */
interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly attempts?: unknown };
  readonly $retryable?: unknown;
}

const CREDENTIAL_CODES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "CredentialsProviderError",
  "InvalidClientTokenId",
]);

/** Socket and stream failures: the server went away, never answered, or cut the body. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);

/** Error names the SDK gives to timeouts, aborts and throttling. */
const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "AbortError",
  "RequestTimeout",
  "RequestTimeoutException",
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ServiceUnavailable",
  "InternalError",
]);

/**
 * The SDK wraps anything that is not `instanceof Error` in its realm (a socket
 * error created in another VM context, as under Jest) into a plain Error
 * that keeps only the message: find the socket code there.
 */
function codeInMessage(message: string | undefined): string | undefined {
  const found = message?.match(/\b(E[A-Z]{3,}|ERR_[A-Z_]+|UND_ERR_[A-Z_]+)\b/)?.[1];
  return found !== undefined && NETWORK_CODES.has(found) ? found : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function describe(err: ErrorShape): string {
  const message = str(err.message);
  const code = str(err.Code) ?? str(err.code) ?? str(err.name);
  if (message === undefined) return code ?? "unknown error";
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

function credentialsAdvice(code: string, bucket: string, op: string): string {
  const keys = `the credentials Secret's ${ENV.awsAccessKeyId} and ${ENV.awsSecretAccessKey} keys (spec.objectStore.credentials.secretRef)`;
  switch (code) {
    case "InvalidAccessKeyId":
    case "InvalidClientTokenId":
      return `the store does not know the access key: check ${ENV.awsAccessKeyId} in the credentials Secret (spec.objectStore.credentials.secretRef)`;
    case "SignatureDoesNotMatch":
      return `the request signature does not match: check ${ENV.awsSecretAccessKey} in the credentials Secret (spec.objectStore.credentials.secretRef) and spec.objectStore.region`;
    case "ExpiredToken":
    case "InvalidToken":
    case "TokenRefreshRequired":
      return `the session token is expired or invalid: refresh ${ENV.awsSessionToken} in the credentials Secret (spec.objectStore.credentials.secretRef), or drop it and use the pod's identity`;
    case "CredentialsProviderError":
      return `no credentials were found: set ${keys}, or give the pods an identity (IRSA role or EKS Pod Identity through spec.serviceAccount.annotations)`;
    default:
      return `access denied: allow the identity (${keys}, or the pods' IRSA / Pod Identity role) to ${op} in bucket ${bucket}`;
  }
}

/**
 * Maps an SDK, socket or stream error to an ObjectStoreError. An error that
 * already is one passes through unchanged.
 */
export function classify(err: unknown, ctx: ErrorContext): ObjectStoreError {
  if (err instanceof ObjectStoreError) return err;
  const e: ErrorShape = typeof err === "object" && err !== null ? err : { message: String(err) };
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  const attempts = typeof e.$metadata?.attempts === "number" ? e.$metadata.attempts : undefined;
  const code = str(e.Code) ?? str(e.name) ?? str(e.code);
  const errno = str(e.code) ?? codeInMessage(str(e.message));
  const what = ctx.isPrefix === true ? `objects under ${formatS3Uri(ctx.ref)}` : formatS3Uri(ctx.ref);
  const at = `at ${ctx.endpoint}`;
  const options = { cause: err, httpStatus: status, code: errno ?? code };

  if (code === "NoSuchBucket")
    return new ObjectStoreError(
      "no-such-bucket",
      `bucket ${ctx.ref.bucket} does not exist ${at}: create it or fix spec.objectStore.bucket (or the URI's bucket)`,
      options,
    );
  if (code === "NoSuchKey" || (code === "NotFound" && status === 404))
    return new ObjectStoreError(
      "not-found",
      `${what} does not exist ${at}: upload it or fix the URI`,
      options,
    );
  if (code !== undefined && CREDENTIAL_CODES.has(code))
    return new ObjectStoreError(
      "credentials",
      `cannot ${ctx.op} ${what} ${at}: ${credentialsAdvice(code, ctx.ref.bucket, ctx.op)}`,
      options,
    );
  if (
    (status === 401 || status === 403) &&
    (code === undefined || code === "UnknownError" || code === "Unknown")
  )
    return new ObjectStoreError(
      "credentials",
      `cannot ${ctx.op} ${what} ${at}: HTTP ${status} with no reason given (a HEAD answer has no body): the credentials are wrong or lack permission; ${credentialsAdvice("AccessDenied", ctx.ref.bucket, ctx.op)}`,
      options,
    );
  const transient =
    (status !== undefined && (status >= 500 || status === 429)) ||
    (errno !== undefined && NETWORK_CODES.has(errno)) ||
    (code !== undefined && TRANSIENT_NAMES.has(code)) ||
    (status === undefined && e.$retryable !== undefined);
  if (transient) {
    const tries = attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : "";
    return new ObjectStoreError(
      "unavailable",
      `cannot ${ctx.op} ${what}: the object store ${at} is unavailable${tries} (${describe(e)}${status !== undefined ? `, HTTP ${status}` : ""}); it is retried later: check the endpoint, the network and the store's health`,
      options,
    );
  }
  if (status !== undefined && status >= 400)
    return new ObjectStoreError(
      "rejected",
      `the object store ${at} refused to ${ctx.op} ${what} (HTTP ${status}, ${describe(e)})`,
      options,
    );
  // No HTTP answer and no known socket code: a stream or parser failure on a cut or garbled answer.
  return new ObjectStoreError(
    "unavailable",
    `cannot ${ctx.op} ${what} ${at}: ${describe(e)}; it is retried later`,
    options,
  );
}

/** The object is over the caller's size limit; nothing (or only its first bytes) was read. */
export function tooLarge(ref: ObjectRef, size: number, limit: number, limitName: string): ObjectStoreError {
  return new ObjectStoreError(
    "too-large",
    `${formatS3Uri(ref)} is ${size} bytes, over ${limitName} (${limit} bytes): not read. Use a smaller object or raise the limit`,
  );
}

export function digestMismatch(
  ref: ObjectRef,
  actual: string,
  expected: string,
  what: string,
): ObjectStoreError {
  return new ObjectStoreError(
    "digest-mismatch",
    `${formatS3Uri(ref)} has sha256 ${actual} but ${what} says ${expected}: the object was changed or corrupted; it is not used`,
  );
}
