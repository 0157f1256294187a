import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  fullObjectSha256,
  hexToBase64,
  isSha256Hex,
  readBounded,
  sha256Hex,
} from "../../../src/objectstore/bounded-read.js";

const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));
const tooLarge = (n: number) => new Error(`over: ${n}`);

describe("bounded, hashed reads", () => {
  test("bytes and digest of the whole body", async () => {
    const got = await readBounded(chunks("hel", "lo"), 5, tooLarge);
    expect(got.bytes.toString()).toBe("hello");
    expect(got.sha256).toBe(createHash("sha256").update("hello").digest("hex"));
  });

  test("stops at the first chunk past the limit, before reading the rest", async () => {
    let pulled = 0;
    // Pulled lazily, one chunk per read: the count says how far the reader went.
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i += 1) {
          pulled += 1;
          yield Buffer.alloc(10);
        }
      })(),
      { highWaterMark: 1 },
    );
    await expect(readBounded(body, 25, tooLarge)).rejects.toThrow("over: 30");
    expect(pulled).toBe(3);
  });

  test("an empty body is empty, with the empty digest", async () => {
    const got = await readBounded(chunks(), 0, tooLarge);
    expect(got.bytes.length).toBe(0);
    expect(got.sha256).toBe(sha256Hex(new Uint8Array()));
  });
});

describe("S3 checksums", () => {
  const hex = sha256Hex(Buffer.from("hello"));

  test("a whole-object checksum reads back as the hex digest", () => {
    expect(fullObjectSha256(hexToBase64(hex))).toBe(hex);
    expect(isSha256Hex(hex)).toBe(true);
  });

  test("composite (multipart) and absent checksums cannot be compared", () => {
    expect(fullObjectSha256(`${hexToBase64(hex)}-3`)).toBeUndefined();
    expect(fullObjectSha256(undefined)).toBeUndefined();
    expect(fullObjectSha256(Buffer.from("short").toString("base64"))).toBeUndefined();
  });
});
