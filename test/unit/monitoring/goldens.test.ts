import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { GOLDEN_DIR, renderGoldens } from "./goldens.js";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const root = join(repo, GOLDEN_DIR);
const UPDATE = "npx tsc -p . && npx node dist/test/fixtures/monitoring/update-goldens.js";

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [relative(root, p)];
  });
}

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
    const stale = walk(root).filter((f) => /\.(yaml|json)$/.test(f) && !(f in goldens));
    expect(stale).toEqual([]);
  });
});
