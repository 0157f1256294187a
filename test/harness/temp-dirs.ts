import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Temporary folders for one test file, all removed after its tests: call it
 * once at the top level of the file (it registers the afterAll) and use the
 * function it returns wherever a fresh folder is needed.
 */
export function tempDirs(defaultPrefix = "maie-test-"): (prefix?: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  return (prefix = defaultPrefix) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    made.push(d);
    return d;
  };
}
