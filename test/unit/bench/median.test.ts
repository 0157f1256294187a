import { median } from "../../../bench/median.js";

describe("median (what the benches report)", () => {
  it("is the middle value of an odd count, whatever the order", () => {
    expect(median([1.42, 1.34, 1.39])).toBe(1.39);
  });

  it("is the upper middle value of an even count: a value some run measured, not an average", () => {
    expect(median([4, 1, 3, 2])).toBe(3);
  });

  it("is NaN without values", () => {
    expect(median([])).toBeNaN();
  });

  it("leaves its input in the order it came", () => {
    const runs = [3, 1, 2];
    median(runs);
    expect(runs).toEqual([3, 1, 2]);
  });
});
