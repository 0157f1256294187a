import { entryOf, itemAt } from "../../../src/util/lookup.js";

describe("lookups that must hit", () => {
  test("itemAt returns the item, and a miss throws naming the list, index and length", () => {
    expect(itemAt([10, 20], 1, "xs")).toBe(20);
    expect(itemAt(new Float64Array([0.5]), 0, "floats")).toBe(0.5);
    expect(() => itemAt([10, 20], 2, "xs")).toThrow("xs: no item at index 2 of 2");
    expect(() => itemAt([10], -1, "xs")).toThrow(RangeError);
  });

  test("entryOf returns the value, and a miss throws naming the map and key", () => {
    const m = new Map([["a", 0]]);
    expect(entryOf(m, "a", "m")).toBe(0);
    expect(() => entryOf(m, "b", "m")).toThrow("m: no entry for b");
  });
});
