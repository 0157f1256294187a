import { classify, digestMismatch, ObjectStoreError, tooLarge } from "../../../src/objectstore/errors.js";

/** What the SDK throws: an Error whose name is the store's code, with response metadata. */
function sdkError(name: string, status: number | undefined, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} from the store`), {
    name,
    $metadata: { httpStatusCode: status, attempts: 3 },
    ...extra,
  });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
}

const ctx = { op: "read", endpoint: "http://minio:9000", ref: { bucket: "models", key: "m.json" } };

describe("errors are mapped to a small set with a next step", () => {
  test("missing bucket: create it or fix the spec", () => {
    const e = classify(sdkError("NoSuchBucket", 404), ctx);
    expect(e.kind).toBe("no-such-bucket");
    expect(e.message).toBe(
      "bucket models does not exist at http://minio:9000: create it or fix spec.objectStore.bucket (or the URI's bucket)",
    );
    expect(e.retryable).toBe(false);
  });

  test("missing key", () => {
    const e = classify(sdkError("NoSuchKey", 404), ctx);
    expect(e.kind).toBe("not-found");
    expect(e.message).toContain("s3://models/m.json does not exist at http://minio:9000");
  });

  test.each([
    ["InvalidAccessKeyId", "AWS_ACCESS_KEY_ID"],
    ["SignatureDoesNotMatch", "AWS_SECRET_ACCESS_KEY"],
    ["AccessDenied", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"],
    ["ExpiredToken", "AWS_SESSION_TOKEN"],
    ["CredentialsProviderError", "IRSA"],
  ])("%s names the credentials to check (%s)", (code, hint) => {
    const e = classify(sdkError(code, code === "CredentialsProviderError" ? undefined : 403), ctx);
    expect(e.kind).toBe("credentials");
    expect(e.retryable).toBe(false);
    expect(e.message).toContain(hint);
    expect(e.message).toContain("spec.");
  });

  test.each([
    ["HTTP 500", sdkError("InternalError", 500)],
    ["HTTP 503", sdkError("ServiceUnavailable", 503)],
    ["HTTP 429", sdkError("TooManyRequests", 429)],
    ["an unnamed 502", sdkError("Unknown", 502)],
    ["connection refused", socketError("ECONNREFUSED")],
    ["connection reset", socketError("ECONNRESET")],
    ["a body cut short", socketError("ERR_STREAM_PREMATURE_CLOSE")],
    ["a socket timeout", Object.assign(new Error("timed out"), { name: "TimeoutError" })],
  ])("%s is retryable", (_what, err) => {
    const e = classify(err, ctx);
    expect(e.kind).toBe("unavailable");
    expect(e.retryable).toBe(true);
    expect(e.message).toContain("http://minio:9000");
    expect(e.message).toContain("retried later");
  });

  test("a 403 with no reason (HEAD answers have no body) is still a credentials error", () => {
    const e = classify(sdkError("UnknownError", 403), { ...ctx, op: "check" });
    expect(e.kind).toBe("credentials");
    expect(e.message).toContain("HTTP 403 with no reason given");
  });

  test("a socket code survives the SDK's wrapper for errors from another realm", () => {
    const wrapped = new Error("AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9");
    const e = classify(wrapped, ctx);
    expect([e.kind, e.code]).toEqual(["unavailable", "ECONNREFUSED"]);
  });

  test("the SDK's attempts are reported", () => {
    expect(classify(sdkError("InternalError", 500), ctx).message).toContain("after 3 attempts");
  });

  test("any other 4xx is a rejected request, not retried", () => {
    const e = classify(sdkError("InvalidBucketName", 400), ctx);
    expect(e.kind).toBe("rejected");
    expect(e.retryable).toBe(false);
    expect(e.httpStatus).toBe(400);
    expect(e.message).toContain("HTTP 400");
  });

  test("an ObjectStoreError passes through; the original is kept as cause", () => {
    const own = new ObjectStoreError("too-large", "x");
    expect(classify(own, ctx)).toBe(own);
    const cause = sdkError("NoSuchBucket", 404);
    expect(classify(cause, ctx).cause).toBe(cause);
  });

  test("listing errors name the prefix", () => {
    const e = classify(sdkError("AccessDenied", 403), {
      ...ctx,
      op: "list",
      ref: { bucket: "b", key: "p/" },
      isPrefix: true,
    });
    expect(e.message).toContain("cannot list objects under s3://b/p/");
  });

  test("size and digest failures say what was refused", () => {
    expect(tooLarge(ctx.ref, 2048, 1024, "LIMITS.maxModelBytes").message).toBe(
      "s3://models/m.json is 2048 bytes, over LIMITS.maxModelBytes (1024 bytes): not read. Use a smaller object or raise the limit",
    );
    const d = digestMismatch(ctx.ref, "aa", "bb", "spec.model.sha256");
    expect(d.kind).toBe("digest-mismatch");
    expect(d.message).toContain("has sha256 aa but spec.model.sha256 says bb");
  });
});
