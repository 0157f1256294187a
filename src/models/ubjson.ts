import { LIMITS, ModelFormatError } from "./errors.js";

/**
 * A decoder for Universal Binary JSON (https://ubjson.org, draft 12), the
 * binary format XGBoost writes for `save_model("m.ubj")` (its default since
 * 2.1). Values decode to what `JSON.parse` gives for the same document,
 * except that strongly typed numeric arrays (`[$d#L…`, XGBoost's float32 and
 * int32 node arrays) decode to typed arrays (Float32Array, Int32Array, …)
 * holding the exact values written.
 *
 * Covered: null `Z`, no-op `N`, `T`/`F`, integers `i U I l L` (int64 is
 * converted to the nearest double; a value beyond 2^53 cannot pass the
 * readers' integer checks), floats `d D`, high-precision `H` (a JSON number
 * in a string), char `C`, string `S`, arrays and objects in their plain and
 * optimized (`$` type, `#` count) forms. Big-endian throughout.
 *
 * Bounded: nesting depth ≤ {@link MAX_DEPTH}; a count must fit in the bytes
 * left (each element takes at least one byte, zero-size typed elements
 * included), so a hostile header cannot allocate more than the file's size;
 * trailing bytes after the root value are refused. Every failure is a
 * ModelFormatError ("truncated" at the end of the input, "syntax" otherwise).
 */
export function decodeUbjson(bytes: Uint8Array): unknown {
  if (bytes.length > LIMITS.maxModelBytes)
    throw new ModelFormatError("too_large", `UBJSON model is larger than ${LIMITS.maxModelBytes} bytes`);
  const r = new Reader(bytes);
  const value = r.value(r.marker(), 0);
  if (r.pos !== bytes.length)
    throw new ModelFormatError("syntax", `UBJSON: ${bytes.length - r.pos} trailing bytes after the document`);
  return value;
}

/** True when the bytes start like a UBJSON object: `{` then a key-length or container marker (JSON has whitespace, `"` or `}` there). */
export function looksLikeUbjson(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === OPEN_OBJECT && KEY_START.has(bytes[1]!);
}

/** Deeper than any model document (XGBoost nests about 8 levels). */
export const MAX_DEPTH = 64;

const OPEN_OBJECT = 0x7b; // {
const KEY_START = new Set(Array.from("iUIlL$#N", (c) => c.charCodeAt(0)));
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Byte size of one value of each fixed-size type (a typed container's `$` type). */
const SIZE: Record<string, number> = { i: 1, U: 1, I: 2, l: 4, L: 8, d: 4, D: 8, C: 1, Z: 0, T: 0, F: 0 };
/** A JSON number, as `H` carries it. */
const NUMBER_SYNTAX = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): number {
    const at = this.pos;
    if (n > this.bytes.length - at)
      throw new ModelFormatError("truncated", `UBJSON: input ends inside a value at byte ${at}`);
    this.pos = at + n;
    return at;
  }

  private fail(message: string): never {
    throw new ModelFormatError("syntax", `UBJSON: ${message} at byte ${this.pos}`);
  }

  /** The next type marker, skipping no-op `N`s. */
  marker(): string {
    let m: string;
    do m = String.fromCharCode(this.bytes[this.need(1)]!);
    while (m === "N");
    return m;
  }

  private peek(): string | undefined {
    return this.pos < this.bytes.length ? String.fromCharCode(this.bytes[this.pos]!) : undefined;
  }

  /** A count or length: an integer-typed value, non-negative, at most `left` (bytes remaining ÷ element size). */
  private count(perElement: number): number {
    const m = this.marker();
    if (!"iUIlL".includes(m)) this.fail(`a length needs an integer type, got '${printable(m)}'`);
    const n = this.value(m, 0) as number;
    if (!Number.isSafeInteger(n) || n < 0) this.fail(`bad length ${n}`);
    if (n > (this.bytes.length - this.pos) / Math.max(1, perElement))
      throw new ModelFormatError("truncated", `UBJSON: length ${n} runs past the end of the input`);
    return n;
  }

  private string(): string {
    const n = this.count(1);
    const at = this.need(n);
    try {
      return utf8.decode(this.bytes.subarray(at, at + n));
    } catch {
      this.pos = at;
      return this.fail("string is not UTF-8");
    }
  }

  value(m: string, depth: number): unknown {
    switch (m) {
      case "Z":
        return null;
      case "T":
        return true;
      case "F":
        return false;
      case "i":
        return this.view.getInt8(this.need(1));
      case "U":
        return this.view.getUint8(this.need(1));
      case "I":
        return this.view.getInt16(this.need(2));
      case "l":
        return this.view.getInt32(this.need(4));
      case "L":
        return Number(this.view.getBigInt64(this.need(8)));
      case "d":
        return this.view.getFloat32(this.need(4));
      case "D":
        return this.view.getFloat64(this.need(8));
      case "C":
        return String.fromCharCode(this.view.getUint8(this.need(1)) & 0x7f);
      case "S":
        return this.string();
      case "H": {
        const s = this.string();
        if (!NUMBER_SYNTAX.test(s)) this.fail(`high-precision number "${s.slice(0, 40)}" is not a number`);
        return Number(s);
      }
      case "[":
        return this.array(depth + 1);
      case "{":
        return this.object(depth + 1);
      default:
        this.pos -= 1;
        return this.fail(`unknown type marker '${printable(m)}'`);
    }
  }

  /** After `[` or `{`: the optimized header (`$` type and/or `#` count), if any. */
  private header(): { type?: string; count?: number } {
    let type: string | undefined;
    if (this.peek() === "$") {
      this.pos++;
      type = String.fromCharCode(this.bytes[this.need(1)]!);
      if (!(type in SIZE) && !"SH[{".includes(type)) this.fail(`bad container type '${printable(type)}'`);
      if (this.peek() !== "#") this.fail("a typed container needs a count ('#')");
    }
    if (this.peek() === "#") {
      this.pos++;
      return { type, count: this.count(type === undefined ? 1 : (SIZE[type] ?? 1)) };
    }
    return { type };
  }

  private array(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const { type, count } = this.header();
    if (count !== undefined && type !== undefined) {
      const typed = this.typedArray(type, count);
      if (typed !== undefined) return typed;
    }
    const out: unknown[] = [];
    if (count !== undefined) {
      for (let k = 0; k < count; k++) out.push(this.value(type ?? this.marker(), depth));
      return out;
    }
    for (;;) {
      const m = this.marker();
      if (m === "]") return out;
      out.push(this.value(m, depth));
    }
  }

  /** Fixed-size numeric element types become typed arrays (copied: the input buffer is not kept). */
  private typedArray(type: string, n: number): ArrayLike<number> | undefined {
    const size = SIZE[type];
    if (size === undefined || size === 0 || type === "C") return undefined;
    const at = this.need(n * size);
    const v = this.view;
    switch (type) {
      case "U":
        return this.bytes.slice(at, at + n);
      case "i":
        return Int8Array.from({ length: n }, (_, k) => v.getInt8(at + k));
      case "I":
        return Int16Array.from({ length: n }, (_, k) => v.getInt16(at + 2 * k));
      case "l":
        return Int32Array.from({ length: n }, (_, k) => v.getInt32(at + 4 * k));
      case "L":
        return Float64Array.from({ length: n }, (_, k) => Number(v.getBigInt64(at + 8 * k)));
      case "d":
        return Float32Array.from({ length: n }, (_, k) => v.getFloat32(at + 4 * k));
      default:
        return Float64Array.from({ length: n }, (_, k) => v.getFloat64(at + 8 * k));
    }
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const { type, count } = this.header();
    const out: Record<string, unknown> = {};
    const put = (key: string, value: unknown): void => {
      // An own property even for "__proto__", as JSON.parse makes it.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    };
    if (count !== undefined) {
      for (let k = 0; k < count; k++) {
        const key = this.string();
        put(key, this.value(type ?? this.marker(), depth));
      }
      return out;
    }
    for (;;) {
      while (this.peek() === "N") this.pos++;
      if (this.peek() === "}") {
        this.pos++;
        return out;
      }
      const key = this.string();
      put(key, this.value(this.marker(), depth));
    }
  }
}

function printable(m: string): string {
  const c = m.charCodeAt(0);
  return c >= 0x20 && c < 0x7f ? m : `\\x${c.toString(16).padStart(2, "0")}`;
}
