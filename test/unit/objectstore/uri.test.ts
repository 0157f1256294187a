import fc from "fast-check";
import { ObjectStoreError } from "../../../src/objectstore/errors.js";
import {
  formatS3Uri,
  normalizePrefix,
  parseS3Uri,
  resolveAddress,
  resolveKey,
} from "../../../src/objectstore/uri.js";

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as ObjectStoreError).kind).toBe("config");
    return (err as Error).message;
  }
  throw new Error("expected an ObjectStoreError");
}

describe("s3:// URIs", () => {
  test.each([
    ["s3://models/m.json", { bucket: "models", key: "m.json" }],
    ["s3://my.bucket-1/a/b/c.parquet", { bucket: "my.bucket-1", key: "a/b/c.parquet" }],
    ["s3://abc/key with spaces", { bucket: "abc", key: "key with spaces" }],
  ])("%s parses", (uri, ref) => {
    expect(parseS3Uri(uri)).toEqual(ref);
    expect(formatS3Uri(ref)).toBe(uri);
  });

  test.each([
    ["https://models/m.json", "expected s3://<bucket>/<key>"],
    ["s3://models", "the key is empty"],
    ["s3://models/", "the key is empty"],
    ["s3://Models/m.json", "is not a bucket name"],
    ["s3://ab/m.json", "is not a bucket name"],
    ["s3://models/a/../b", "'.' or '..' segments"],
    ["s3://models/./b", "'.' or '..' segments"],
    [`s3://models/${"k".repeat(1025)}`, "1024 bytes"],
  ])("%s is refused, saying why", (uri, why) => {
    const message = configError(() => parseS3Uri(uri));
    expect(message).toContain(why);
    expect(message).toContain(JSON.stringify(uri).slice(0, 20));
  });

  test("a listing may name the whole bucket", () => {
    expect(parseS3Uri("s3://models", { allowEmptyKey: true })).toEqual({ bucket: "models", key: "" });
    expect(parseS3Uri("s3://models/", { allowEmptyKey: true })).toEqual({ bucket: "models", key: "" });
  });

  test("format and parse are inverse for every valid bucket and key", () => {
    const bucket = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/);
    const segment = fc
      .stringMatching(/^[A-Za-z0-9_=-][A-Za-z0-9_.=-]{0,10}$/)
      .filter((s) => s !== "." && s !== "..");
    const key = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join("/"));
    fc.assert(
      fc.property(bucket, key, (b, k) => {
        expect(parseS3Uri(formatS3Uri({ bucket: b, key: k }))).toEqual({ bucket: b, key: k });
      }),
    );
  });
});

describe("prefixes and relative keys", () => {
  test.each([
    ["", ""],
    ["/", ""],
    ["teams/alpha", "teams/alpha/"],
    ["/teams/alpha/", "teams/alpha/"],
    ["teams//alpha//", "teams//alpha/"],
  ])("prefix %j is %j", (raw, normalized) => {
    expect(normalizePrefix(raw)).toBe(normalized);
  });

  test("a prefix with '..' is refused", () => {
    expect(configError(() => normalizePrefix("a/../b"))).toContain("'..'");
  });

  test("a relative key lives under the prefix, never above it", () => {
    expect(resolveKey("teams/a/", "models/m.json")).toBe("teams/a/models/m.json");
    expect(resolveKey("", "m.json")).toBe("m.json");
    expect(configError(() => resolveKey("teams/a/", "../b/m.json"))).toContain("'..'");
    expect(configError(() => resolveKey("teams/a/", "/m.json"))).toContain("must not start with '/'");
    expect(configError(() => resolveKey("teams/a/", ""))).toContain("empty");
  });

  test("an address is a URI (its own bucket), a relative key (the configured ones) or a ref", () => {
    const base = { bucket: "main", prefix: "p/" };
    expect(resolveAddress("s3://other/k", base)).toEqual({ bucket: "other", key: "k" });
    expect(resolveAddress("k", base)).toEqual({ bucket: "main", key: "p/k" });
    expect(resolveAddress({ bucket: "x", key: "y" }, base)).toEqual({ bucket: "x", key: "y" });
    expect(resolveAddress("", base, { allowEmptyKey: true })).toEqual({ bucket: "main", key: "p/" });
    expect(configError(() => resolveAddress("", base))).toContain("empty");
    expect(configError(() => resolveAddress({ bucket: "x", key: "a/../b" }, base))).toContain("'..'");
  });
});
