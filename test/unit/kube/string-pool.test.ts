import { STRING_POOL_MAX_LENGTH, StringPool } from "../../../src/kube/string-pool.js";

const deployment = (i: number) => ({
  metadata: { name: `m${i}`, uid: `uid-${i}`, resourceVersion: String(1000 + i), labels: { app: "maie" } },
  spec: {
    template: {
      spec: { containers: [{ name: "scorer", image: "ghcr.io/maie/maie:0.1.0", args: ["scorer"] }] },
    },
  },
});

describe("StringPool", () => {
  test("leaves every value as it was (only which copy is held changes)", () => {
    const pool = new StringPool();
    const tree = deployment(1);
    expect(pool.internAll(structuredClone(tree))).toEqual(tree);
  });

  test("pools repeated values once, and never uids, resource versions or long strings", () => {
    const pool = new StringPool();
    for (let i = 0; i < 50; i += 1) pool.internAll(deployment(i));
    // m0..m49 plus the shared values: "maie", "scorer", the image (twice-used "scorer" counted once).
    expect(pool.size).toBe(50 + 3);
    pool.intern("x".repeat(STRING_POOL_MAX_LENGTH + 1));
    expect(pool.size).toBe(53);
  });

  test("is bounded: once full, new values pass through unpooled", () => {
    const pool = new StringPool(10);
    for (let i = 0; i < 100; i += 1) expect(pool.intern(`v${i}`)).toBe(`v${i}`);
    expect(pool.size).toBe(10);
  });
});
