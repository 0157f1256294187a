import fc from "fast-check";

/** One random edit of a byte string: replace, drop or insert a byte at `at`, or cut the tail there. */
export interface ByteEdit {
  readonly at: number;
  readonly byte: number;
  readonly op: number;
}

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.record({
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
  op: fc.nat(3),
});

/** `bytes` with the edits applied in order (positions taken modulo the current length); a cut keeps `minLength` bytes. */
export function applyByteEdits(bytes: Uint8Array, edits: readonly ByteEdit[], minLength = 0): Uint8Array {
  const b = Array.from(bytes);
  for (const { at, byte, op } of edits) {
    if (b.length === 0) break;
    const i = at % b.length;
    if (op === 0) b[i] = byte;
    else if (op === 1) b.splice(i, 1);
    else if (op === 2) b.splice(i, 0, byte);
    else b.length = Math.max(minLength, i);
  }
  return Uint8Array.from(b);
}
