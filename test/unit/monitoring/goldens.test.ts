import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GOLDEN_DIR, GOLDEN_PATTERN, renderGoldens } from "./goldens.js";
import { goldenFilesUnder, UPDATE_GOLDENS as UPDATE } from "../../harness/goldens.js";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const root = join(repo, GOLDEN_DIR);

describe("monitoring golden files", () => {
  const goldens = renderGoldens();

  for (const [file, content] of Object.entries(goldens)) {
    test(`${file} matches the builder output`, () => {
      const path = join(root, file);
      if (!existsSync(path))
        throw new Error(`${GOLDEN_DIR}/${file} is missing; if the change is intended run: ${UPDATE}`);
      const golden = readFileSync(path, "utf8");
      if (golden !== content) {
        throw new Error(
          `${GOLDEN_DIR}/${file} differs from the builder output; if the change is intended run: ${UPDATE} and review the diff`,
        );
      }
      expect(golden).toBe(content);
    });
  }

  test("there are no stale golden files", () => {
    const stale = goldenFilesUnder(root, GOLDEN_PATTERN).filter((f) => !(f in goldens));
    expect(stale).toEqual([]);
  });
});
