import type { Readable } from "node:stream";
import {
  formatS3Uri,
  ObjectStoreError,
  pickNewest,
  resolveAddress,
  sha256Hex,
  type GetOptions,
  type GetResult,
  type ListedRef,
  type ObjectAddress,
  type ObjectRef,
  type UploadOptions,
  type UploadResult,
} from "../../src/objectstore/index.js";

/**
 * An in-memory stand-in for the parts of `ObjectStore` that publishing and
 * following panels and fetching prices use, for unit tests of their logic
 * (order of writes, what a failure leaves behind). It keeps the semantics
 * those callers rely on: ETags change with every write, a held ETag gets
 * "not-modified", a missing key is a "not-found" error, a size over the
 * limit or a digest other than the expected one is refused. The real store
 * is exercised by the integration tests (SeaweedFS).
 */

interface Stored {
  readonly bytes: Buffer;
  readonly etag: string;
  readonly lastModified: Date;
}

export type Operation = "get" | "put" | "list";

export class MemoryObjectStore {
  readonly #objects = new Map<string, Stored>();
  #version = 0;
  /** Every request, as `get <key>`, `put <key>`, `list <prefix>` (keys relative to the bucket). */
  readonly requests: string[] = [];
  /** Return an error to fail that request (before it has any effect). */
  fail: (op: Operation, key: string) => Error | undefined = () => undefined;

  constructor(
    readonly bucket = "maie",
    readonly prefix = "teams/alpha/",
  ) {}

  #ref(address: ObjectAddress, allowEmptyKey = false): ObjectRef {
    return resolveAddress(address, this, { allowEmptyKey });
  }

  #check(op: Operation, ref: ObjectRef): void {
    this.requests.push(`${op} ${ref.key}`);
    const err = this.fail(op, ref.key);
    if (err !== undefined) throw err;
  }

  uri(address: ObjectAddress): string {
    return formatS3Uri(this.#ref(address));
  }

  /** Writes an object directly (what another writer, or tampering, would do). */
  put(address: ObjectAddress, bytes: Uint8Array | string, lastModified = new Date()): void {
    const ref = this.#ref(address);
    this.#version += 1;
    this.#objects.set(`${ref.bucket}/${ref.key}`, {
      bytes: Buffer.from(bytes),
      etag: `"v${this.#version}"`,
      lastModified,
    });
  }

  remove(address: ObjectAddress): void {
    const ref = this.#ref(address);
    this.#objects.delete(`${ref.bucket}/${ref.key}`);
  }

  bytes(address: ObjectAddress): Buffer | undefined {
    const ref = this.#ref(address);
    return this.#objects.get(`${ref.bucket}/${ref.key}`)?.bytes;
  }

  getIfChanged(address: ObjectAddress, options: GetOptions = {}): Promise<GetResult> {
    return Promise.resolve().then(() => {
      const ref = this.#ref(address);
      this.#check("get", ref);
      const o = this.#objects.get(`${ref.bucket}/${ref.key}`);
      if (o === undefined)
        throw new ObjectStoreError("not-found", `${formatS3Uri(ref)} does not exist`, { httpStatus: 404 });
      if (options.etag === o.etag) return { kind: "not-modified", etag: o.etag };
      const max = options.maxBytes ?? Number.POSITIVE_INFINITY;
      if (o.bytes.length > max)
        throw new ObjectStoreError(
          "too-large",
          `${formatS3Uri(ref)} is ${o.bytes.length} bytes, over ${options.maxBytesName ?? "the limit"} (${max} bytes)`,
        );
      const sha256 = sha256Hex(o.bytes);
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256)
        throw new ObjectStoreError(
          "digest-mismatch",
          `${formatS3Uri(ref)} has sha256 ${sha256} but ${options.expectedBy ?? "the expected digest"} says ${options.expectedSha256}`,
        );
      return {
        kind: "object",
        bytes: Buffer.from(o.bytes),
        etag: o.etag,
        sha256,
        lastModified: o.lastModified,
      };
    });
  }

  upload(
    address: ObjectAddress,
    body: Uint8Array | Readable,
    _options?: UploadOptions,
  ): Promise<UploadResult> {
    return Promise.resolve().then(() => {
      if (!(body instanceof Uint8Array)) throw new Error("MemoryObjectStore takes in-memory bodies only");
      const ref = this.#ref(address);
      this.#check("put", ref);
      this.put(ref, body);
      const o = this.#objects.get(`${ref.bucket}/${ref.key}`)!;
      return { ref, etag: o.etag, sha256: sha256Hex(body), size: body.byteLength };
    });
  }

  newestUnder(prefix: ObjectAddress, suffixes: readonly string[] = []): Promise<ListedRef | undefined> {
    return Promise.resolve().then(() => {
      const ref = this.#ref(prefix, true);
      this.#check("list", ref);
      const listed: ListedRef[] = [];
      for (const [path, o] of this.#objects) {
        const slash = path.indexOf("/");
        const bucket = path.slice(0, slash);
        const key = path.slice(slash + 1);
        if (bucket !== ref.bucket || !key.startsWith(ref.key)) continue;
        listed.push({
          ref: { bucket, key },
          key,
          size: o.bytes.length,
          etag: o.etag,
          lastModified: o.lastModified,
        });
      }
      return pickNewest(listed, suffixes);
    });
  }
}
