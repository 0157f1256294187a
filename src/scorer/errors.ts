/**
 * The scorer's error model: every failure a client can see is an `ApiError`
 * with a stable `code` literal, an HTTP status derived from the code, a
 * human message and optional structured details. On the wire it is
 * `{"error": {"code", "message", "details"}}`.
 */

/** Every error code the API can answer with, and its HTTP status. */
export const ERROR_STATUS = {
  invalid_json: 400,
  validation_failed: 400,
  insufficient_history: 400,
  unauthorized: 401,
  not_found: 404,
  unknown_ticker: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_ready: 503,
  feature_skew: 503,
  shutting_down: 503,
  timeout: 503,
  overloaded: 503,
  compute_failed: 503,
  internal: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly details: unknown };
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = null,
    /** Extra response headers (e.g. `Allow` for 405). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** Wraps anything thrown by a handler: an `ApiError` passes through, anything else becomes `internal`. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError("internal", "internal error", null);
}
