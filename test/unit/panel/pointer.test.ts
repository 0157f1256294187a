import {
  decodePanelPointer,
  encodePanelPointer,
  MAX_POINTER_BYTES,
  PointerFormatError,
  type PanelPointer,
} from "../../../src/panel/pointer.js";

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);

const POINTER: PanelPointer = {
  version: 1,
  as_of: "2026-11-27",
  published_at: "2026-11-28T22:15:00.000Z",
  expected: { key: `expected/panels/2026-11-27-${SHA_A}.parquet`, sha256: SHA_A, size: 4242 },
  features: { key: `expected/features/2026-11-27-${SHA_B}.parquet`, sha256: SHA_B, size: 9000 },
  history: "expected/history/2026-11-27.parquet",
  report: "expected/reports/2026-11-27/index.html",
};

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("the panel pointer", () => {
  test("round-trips, as small JSON", () => {
    const bytes = encodePanelPointer(POINTER);
    expect(decodePanelPointer(bytes, "p")).toEqual(POINTER);
    expect(bytes.byteLength).toBeLessThan(MAX_POINTER_BYTES / 50);
  });

  test("ignores fields a later writer may add", () => {
    expect(decodePanelPointer(json({ ...POINTER, model: { sha256: SHA_A } }), "p")).toEqual(POINTER);
  });

  test.each([
    ["not JSON", new TextEncoder().encode("{ nope"), /s3:\/\/m\/latest\.json is not a panel pointer/],
    ["not UTF-8", Uint8Array.of(0xff, 0xfe), /is not a panel pointer/],
    ["another version", json({ ...POINTER, version: 2 }), /version: /],
    [
      "a short digest",
      json({ ...POINTER, expected: { ...POINTER.expected, sha256: "abc" } }),
      /expected\.sha256/,
    ],
    [
      "an upper-case digest",
      json({ ...POINTER, features: { ...POINTER.features, sha256: SHA_A.toUpperCase() } }),
      /features\.sha256/,
    ],
    [
      "a key climbing out of the prefix",
      json({ ...POINTER, expected: { ...POINTER.expected, key: "../x" } }),
      /expected\.key/,
    ],
    ["an absolute key", json({ ...POINTER, history: "/etc/passwd" }), /history/],
    ["a negative size", json({ ...POINTER, features: { ...POINTER.features, size: -1 } }), /features\.size/],
    ["a bad date", json({ ...POINTER, as_of: "27/11/2026" }), /as_of/],
    ["no publish time", json({ ...POINTER, published_at: undefined }), /published_at/],
  ])("refuses %s, naming the pointer and the field", (_what, bytes, message) => {
    const decode = () => decodePanelPointer(bytes, "s3://m/latest.json");
    expect(decode).toThrow(PointerFormatError);
    expect(decode).toThrow(message);
  });
});
