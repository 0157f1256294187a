/**
 * Object addresses: `s3://bucket/key` URIs, and keys relative to the
 * configured prefix. Pure; every malformed input is an ObjectStoreError of
 * kind "config" whose message names the input.
 */
import { ObjectStoreError } from "./errors.js";

/** One object (or, for listings, one key prefix) in one bucket. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

/**
 * What the store's operations accept: an `s3://bucket/key` URI, a key
 * relative to the configured prefix (`models/m.json`), or a resolved ref.
 */
export type ObjectAddress = string | ObjectRef;

const SCHEME = "s3://";

/**
 * S3's bucket naming rules, loosely: 3-63 of a-z, 0-9, '.', '-', starting and
 * ending with a letter or digit. The server has the last word; this only
 * catches typos before a request is signed.
 */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isBucketName(name: string): boolean {
  return BUCKET.test(name);
}

function invalid(what: string, why: string): ObjectStoreError {
  return new ObjectStoreError("config", `${what}: ${why}`);
}

/** A key must name something, and `.` / `..` segments would mean different objects on different stores. */
function checkKey(key: string, what: string, allowEmpty: boolean): void {
  if (key === "" && !allowEmpty) throw invalid(what, "the key is empty");
  if (key.split("/").some((s) => s === "." || s === ".."))
    throw invalid(what, "the key must not contain '.' or '..' segments");
  if (Buffer.byteLength(key, "utf8") > 1024)
    throw invalid(what, "the key is longer than S3's limit of 1024 bytes");
}

/**
 * Parses `s3://bucket/key`. With `allowEmptyKey` (listings), `s3://bucket`
 * and `s3://bucket/` name the whole bucket.
 */
export function parseS3Uri(uri: string, options: { readonly allowEmptyKey?: boolean } = {}): ObjectRef {
  const what = `invalid object URI ${JSON.stringify(uri)}`;
  if (!uri.startsWith(SCHEME)) throw invalid(what, "expected s3://<bucket>/<key>");
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? "" : rest.slice(slash + 1);
  if (!isBucketName(bucket))
    throw invalid(what, `${JSON.stringify(bucket)} is not a bucket name (3-63 of a-z, 0-9, '.', '-')`);
  checkKey(key, what, options.allowEmptyKey === true);
  return { bucket, key };
}

export function formatS3Uri(ref: ObjectRef): string {
  return `${SCHEME}${ref.bucket}/${ref.key}`;
}

/**
 * A prefix as keys use it: no leading '/', and either empty or ending in '/'
 * (so prefix `teams/a` never matches the keys of `teams/ab`).
 */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return "";
  checkKey(trimmed, `invalid key prefix ${JSON.stringify(prefix)}`, false);
  return `${trimmed}/`;
}

/** `relative` under a normalized prefix; a leading '/' is refused rather than guessed at. */
export function resolveKey(prefix: string, relative: string): string {
  const what = `invalid object key ${JSON.stringify(relative)}`;
  if (relative === "") throw invalid(what, "the key is empty");
  if (relative.startsWith("/")) throw invalid(what, "a relative key must not start with '/'");
  const key = `${prefix}${relative}`;
  checkKey(key, what, false);
  return key;
}

/**
 * Any ObjectAddress as a ref: URIs name their own bucket; relative keys live
 * under the configured bucket and prefix. `allowEmptyKey` is for listings
 * (the empty relative key is the prefix itself).
 */
export function resolveAddress(
  address: ObjectAddress,
  base: { readonly bucket: string; readonly prefix: string },
  options: { readonly allowEmptyKey?: boolean } = {},
): ObjectRef {
  if (typeof address !== "string") {
    checkKey(
      address.key,
      `invalid object key ${JSON.stringify(address.key)}`,
      options.allowEmptyKey === true,
    );
    return address;
  }
  if (address.startsWith(SCHEME)) return parseS3Uri(address, options);
  if (address === "" && options.allowEmptyKey === true) return { bucket: base.bucket, key: base.prefix };
  return { bucket: base.bucket, key: resolveKey(base.prefix, address) };
}
