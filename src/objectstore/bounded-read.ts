/**
 * Reading an object's body into memory with a size bound, hashing it on the
 * way: the digest costs no second pass, and an object that grows past the
 * limit while streaming (a missing or lying Content-Length) is cut off
 * after at most `maxBytes` plus one chunk.
 */
import { createHash } from "node:crypto";

export interface BoundedBody {
  readonly bytes: Buffer;
  /** Lowercase hex SHA-256 of `bytes`. */
  readonly sha256: string;
}

/** Thrown (via `tooLarge`) as soon as more than `maxBytes` have arrived. */
export async function readBounded(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  tooLarge: (bytesSoFar: number) => Error,
): Promise<BoundedBody> {
  const hash = createHash("sha256");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(size);
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    hash.update(buffer);
    chunks.push(buffer);
  }
  return { bytes: Buffer.concat(chunks, size), sha256: hash.digest("hex") };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** S3's `x-amz-checksum-sha256` is the raw digest in base64; the rest of MAIE speaks hex. */
export function hexToBase64(hex: string): string {
  return Buffer.from(hex, "hex").toString("base64");
}

/**
 * A whole-object SHA-256 from S3's checksum header as hex, or undefined when
 * the header is absent or composite (a multipart object's "digest-of-digests-N"
 * cannot be compared with the body's own digest).
 */
export function fullObjectSha256(checksumSha256: string | undefined): string | undefined {
  if (checksumSha256 === undefined || checksumSha256.includes("-")) return undefined;
  const raw = Buffer.from(checksumSha256, "base64");
  return raw.length === 32 ? raw.toString("hex") : undefined;
}

/** SHA-256 hex as pins and status show it: 64 lowercase hex digits. */
export function isSha256Hex(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
