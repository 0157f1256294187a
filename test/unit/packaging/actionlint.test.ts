import { readdirSync } from "node:fs";
import { join } from "node:path";
import { binary } from "../../../tools/cluster/paths.js";
import { runProcess } from "../../harness/process.js";

/** The real actionlint (built from its Go module by tools/build-binaries.sh) accepts every workflow. */

const WORKFLOWS = ".github/workflows";

async function run(bin: string, args: readonly string[]): Promise<{ code: number; out: string }> {
  const r = await runProcess(bin, args);
  return { code: r.code, out: r.stdout + r.stderr };
}

describe("GitHub Actions workflows", () => {
  const files = readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .map((f) => join(WORKFLOWS, f));

  test("there is at least the CI workflow", () => {
    expect(files).toContain(join(WORKFLOWS, "ci.yml"));
  });

  test("actionlint reports nothing (exit 0)", async () => {
    const actionlint = binary("actionlint");
    const version = await run(actionlint, ["-version"]);
    expect(version.code).toBe(0);
    const res = await run(actionlint, ["-no-color", ...files]);
    expect({ code: res.code, out: res.out }).toEqual({ code: 0, out: "" });
  });

  test("actionlint is the real checker: it rejects a broken workflow", async () => {
    const res = await run(binary("actionlint"), [
      "-no-color",
      "test/unit/packaging/fixtures/broken-workflow.yml",
    ]);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/broken-workflow\.yml:\d+:\d+:/);
  });
});
