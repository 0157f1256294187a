import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ModelFormatError } from "../../../src/models/errors.js";
import { decodeUbjson, looksLikeUbjson, MAX_DEPTH } from "../../../src/models/ubjson.js";
import { FIXTURE_DIR } from "../treeshap/fixtures.js";
import { applyByteEdits, byteEdit } from "./byte-edits.js";

/**
 * The UBJSON decoder (draft 12, the subset XGBoost writes and the rest of
 * the value types): round trips of random JSON values through an encoder
 * that picks every representation the spec allows (each integer width, the
 * plain and optimized container forms, no-op markers), hostile headers, and
 * random and mutated bytes (which end in a value or a ModelFormatError).
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

function be(kind: "i" | "U" | "I" | "l" | "L" | "d" | "D", v: number): number[] {
  const size = { i: 1, U: 1, I: 2, l: 4, L: 8, d: 4, D: 8 }[kind];
  const dv = new DataView(new ArrayBuffer(size));
  if (kind === "i") dv.setInt8(0, v);
  else if (kind === "U") dv.setUint8(0, v);
  else if (kind === "I") dv.setInt16(0, v);
  else if (kind === "l") dv.setInt32(0, v);
  else if (kind === "L") dv.setBigInt64(0, BigInt(v));
  else if (kind === "d") dv.setFloat32(0, v);
  else dv.setFloat64(0, v);
  return [...new Uint8Array(dv.buffer)];
}

/** Smallest-or-wider integer type for n (choice picks among those that fit). */
function intType(n: number, choice: number): "i" | "U" | "I" | "l" | "L" {
  const fits = (["i", "U", "I", "l", "L"] as const).filter((t) => {
    if (t === "i") return n >= -128 && n <= 127;
    if (t === "U") return n >= 0 && n <= 255;
    if (t === "I") return n >= -32768 && n <= 32767;
    if (t === "l") return n >= -(2 ** 31) && n < 2 ** 31;
    return true;
  });
  return fits[choice % fits.length]!;
}

/** Encodes with representation choices drawn from `pick` (a deterministic stream). */
function encode(v: Json, pick: () => number): number[] {
  const noop = (): number[] => (pick() % 7 === 0 ? ascii("N") : []);
  const len = (n: number): number[] => {
    const t = intType(n, pick());
    return [...ascii(t), ...be(t, n)];
  };
  const str = (s: string): number[] => {
    const b = [...new TextEncoder().encode(s)];
    return [...len(b.length), ...b];
  };
  if (v === null) return ascii("Z");
  if (v === true) return ascii("T");
  if (v === false) return ascii("F");
  if (typeof v === "number") {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
      const t = intType(v, pick());
      return [...ascii(t), ...be(t, v)];
    }
    if (Math.fround(v) === v && pick() % 2 === 0) return [...ascii("d"), ...be("d", v)];
    return [...ascii("D"), ...be("D", v)];
  }
  if (typeof v === "string") {
    if (v.length === 1 && v.charCodeAt(0) < 128 && pick() % 2 === 0) return [...ascii("C"), v.charCodeAt(0)];
    return [...ascii("S"), ...str(v)];
  }
  if (Array.isArray(v)) {
    const form = pick() % 2;
    if (form === 0)
      return [...ascii("["), ...v.flatMap((x) => [...noop(), ...encode(x, pick)]), ...ascii("]")];
    return [...ascii("[#"), ...len(v.length), ...v.flatMap((x) => encode(x, pick))];
  }
  const entries = Object.entries(v);
  if (pick() % 2 === 0)
    return [
      ...ascii("{"),
      ...entries.flatMap(([k, x]) => [...noop(), ...str(k), ...encode(x, pick)]),
      ...ascii("}"),
    ];
  return [
    ...ascii("{#"),
    ...len(entries.length),
    ...entries.flatMap(([k, x]) => [...str(k), ...encode(x, pick)]),
  ];
}

/** Typed arrays as plain arrays, for comparison with the JSON value. */
function plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function valueOrRefusal(bytes: Uint8Array): void {
  try {
    decodeUbjson(bytes);
  } catch (e) {
    if (!(e instanceof ModelFormatError)) throw e;
    expect(e.message).toMatch(/UBJSON/);
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;

describe("UBJSON decoder", () => {
  test("every JSON value round-trips, whatever representation the encoder picks", () => {
    fc.assert(
      fc.property(jsonValue, fc.array(fc.nat(), { minLength: 1, maxLength: 50 }), (v, seeds) => {
        let i = 0;
        const pick = (): number => seeds[i++ % seeds.length]! + i;
        expect(plain(decodeUbjson(Uint8Array.from(encode(v, pick))))).toEqual(plain(v));
      }),
      { numRuns: 500 },
    );
  });

  test("strongly typed arrays decode to typed arrays of the exact values", () => {
    const f32 = [1.5, -0.1, 3.4028234663852886e38];
    const doc = [
      ...ascii("{"),
      ...[...ascii("U"), 1, ...ascii("a")],
      ...[...ascii("[$d#U"), 3, ...f32.flatMap((x) => be("d", x))],
      ...[...ascii("U"), 1, ...ascii("b")],
      ...[...ascii("[$l#i"), 2, ...be("l", -1), ...be("l", 2 ** 31 - 1)],
      ...[...ascii("U"), 1, ...ascii("c")],
      ...[...ascii("[$U#I"), ...be("I", 2), 0, 255],
      ...[...ascii("U"), 1, ...ascii("d")],
      ...[...ascii("[$L#U"), 1, ...be("L", -(2 ** 40))],
      ...[...ascii("U"), 1, ...ascii("f")],
      ...[...ascii("[$Z#U"), 2],
      ...[...ascii("U"), 1, ...ascii("e")],
      ...[...ascii("[$S#U"), 2, ...ascii("U"), 1, ...ascii("x"), ...ascii("U"), 0],
      ...ascii("}"),
    ];
    const out = decodeUbjson(Uint8Array.from(doc)) as Record<string, unknown>;
    expect(out.a).toBeInstanceOf(Float32Array);
    expect(Array.from(out.a as Float32Array)).toEqual(f32.map(Math.fround));
    expect(out.b).toEqual(Int32Array.from([-1, 2 ** 31 - 1]));
    expect(out.c).toEqual(Uint8Array.from([0, 255]));
    expect(Array.from(out.d as Float64Array)).toEqual([-(2 ** 40)]);
    expect(out.e).toEqual(["x", ""]);
    // Zero-size elements still count one byte each against the bytes left (here: f comes before e).
    expect(out.f).toEqual([null, null]);
  });

  test("high-precision numbers, chars, int64 and a __proto__ key decode as JSON.parse would", () => {
    const doc = [
      ...ascii("{#U"),
      3,
      ...[...ascii("U"), 1, ...ascii("h"), ...ascii("HU"), 6, ...ascii("-1.5e3")],
      ...[...ascii("U"), 9, ...ascii("__proto__"), ...ascii("CA")],
      ...[...ascii("U"), 1, ...ascii("L"), ...ascii("L"), ...be("L", 2 ** 53 - 1)],
    ];
    const out = decodeUbjson(Uint8Array.from(doc)) as Record<string, unknown>;
    expect(out.h).toBe(-1500);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toBe("A");
    expect(out.L).toBe(2 ** 53 - 1);
    expect(() => decodeUbjson(Uint8Array.from([...ascii("HU"), 3, ...ascii("1e+")]))).toThrow(/not a number/);
  });

  test("hostile headers are refused before allocating: huge counts, deep nesting, bad markers, trailing bytes", () => {
    const refused = (bytes: number[], code: string, re: RegExp): void => {
      try {
        decodeUbjson(Uint8Array.from(bytes));
      } catch (e) {
        expect(e).toBeInstanceOf(ModelFormatError);
        expect((e as ModelFormatError).code).toBe(code);
        expect((e as ModelFormatError).message).toMatch(re);
        return;
      }
      throw new Error("expected a refusal");
    };
    refused([...ascii("[$d#L"), ...be("L", 2 ** 50)], "truncated", /length/);
    refused([...ascii("[$Z#L"), ...be("L", 2 ** 50)], "truncated", /length/);
    refused([...ascii("[#l"), ...be("l", 1e9), ...ascii("Z")], "truncated", /length/);
    refused([...ascii("{#l"), ...be("l", -1)], "syntax", /bad length/);
    refused([...ascii("SU"), 5, ...ascii("ab")], "truncated", /ends|length/);
    refused([...ascii("S"), ...ascii("d"), ...be("d", 1)], "syntax", /integer type/);
    refused(
      new Array<number>(100_000).fill("[".charCodeAt(0)),
      "syntax",
      new RegExp(`deeper than ${MAX_DEPTH}`),
    );
    refused(ascii("[$d]"), "syntax", /count/);
    refused(ascii("[$x#U\u0001"), "syntax", /container type/);
    refused(ascii("q"), "syntax", /unknown type marker 'q'/);
    refused([...ascii("ZZ")], "syntax", /trailing/);
    refused([...ascii("SU"), 2, 0xc3, 0x28], "syntax", /UTF-8/);
    refused([], "truncated", /ends/);
  });

  test("the .ubj fixtures are recognised by content; JSON text is not", () => {
    const ubj = readFileSync(join(FIXTURE_DIR, "xgb_v34_dart.ubj"));
    expect(looksLikeUbjson(ubj)).toBe(true);
    expect(looksLikeUbjson(readFileSync(join(FIXTURE_DIR, "xgb_v34_dart.json")))).toBe(false);
    expect(looksLikeUbjson(new TextEncoder().encode('{ "a": 1 }'))).toBe(false);
    expect(plain(decodeUbjson(ubj))).toMatchObject({ version: [3, 4, 1] });
  });

  test("random bytes and mutated .ubj files end in a value or a ModelFormatError", () => {
    const ubj = new Uint8Array(readFileSync(join(FIXTURE_DIR, "xgb_v21_multiclass.ubj")));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) =>
        valueOrRefusal(Uint8Array.from([0x7b, ...bytes])),
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(byteEdit, { minLength: 1, maxLength: 4 }), (edits) =>
        valueOrRefusal(applyByteEdits(ubj, edits)),
      ),
      { numRuns: 500 },
    );
  });
});
