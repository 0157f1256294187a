import { readFileSync } from "node:fs";
import { GOLDEN_CASES, goldenFile, renderGolden } from "./goldens.js";

describe("golden files of the core children", () => {
  test.each(GOLDEN_CASES.map((c) => [c.name, c] as const))(
    "%s matches test/fixtures/desired/<case>.yaml exactly (tools/update-goldens.sh rewrites it)",
    (_name, c) => {
      expect(renderGolden(c)).toBe(readFileSync(goldenFile(c.name), "utf8"));
    },
  );
});
