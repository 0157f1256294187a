import { canonicalJson, sha256Of, toPlain } from "../../../src/desired/plain.js";

describe("toPlain", () => {
  test("drops undefined-valued keys at every depth and keeps nulls, arrays and scalars", () => {
    expect(
      toPlain({ a: 1, b: undefined, c: { d: undefined, e: [1, { f: undefined, g: null }] }, h: "x" }),
    ).toEqual({
      a: 1,
      c: { e: [1, { g: null }] },
      h: "x",
    });
    const out = toPlain({ b: undefined }) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual([]);
  });

  test("returns a copy that shares nothing with the input", () => {
    const input = { a: { b: [1, 2] } };
    const out = toPlain(input) as { a: { b: number[] } };
    out.a.b.push(3);
    expect(input.a.b).toEqual([1, 2]);
  });

  test("refuses values JSON cannot carry, naming where they are", () => {
    expect(() => toPlain({ when: new Date(0) })).toThrow(/\$\.when/);
    expect(() => toPlain({ n: Number.NaN })).toThrow(/\$\.n/);
    expect(() => toPlain({ f: () => 1 })).toThrow(/\$\.f/);
    expect(() => toPlain({ big: 1n })).toThrow(/\$\.big/);
  });
});

describe("canonicalJson and sha256Of", () => {
  test("key order does not matter, array order does", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(sha256Of({ a: 1, b: 2 })).toBe(sha256Of({ b: 2, a: 1 }));
    expect(sha256Of([1, 2])).not.toBe(sha256Of([2, 1]));
  });

  test("an undefined-valued key hashes like an absent one", () => {
    expect(sha256Of({ a: 1, b: undefined })).toBe(sha256Of({ a: 1 }));
    expect(sha256Of({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  // Hashes of this text are stamped on every child and pod template: the same input must give the same text
  // across releases, or an upgrade re-applies every child and rolls every pod.
  test("the text is pinned: code-unit key order at every depth, integer-like keys first (as JSON.stringify puts them)", () => {
    expect(
      canonicalJson({ b: [{ y: 1, x: undefined, w: null }], "10": 2, "2": 3, a: undefined, é: 4, Z: 5 }),
    ).toBe('{"2":3,"10":2,"Z":5,"b":[{"w":null,"y":1}],"é":4}');
    expect(sha256Of({ kind: "ConfigMap", data: { k: "v" } })).toBe(
      "9039be3cdc7a12d5523fc43e96373552f7257b5130dbbfacbe38760e3e45206b",
    );
  });

  test("refuses what toPlain refuses, naming where", () => {
    expect(() => canonicalJson({ a: [{ b: Number.NaN }] })).toThrow("$.a[0].b: NaN is not a finite number");
  });
});
