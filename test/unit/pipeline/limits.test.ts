import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FEATURE_NAMES_V1 } from "../../../src/features/index.js";
import { LIMITS } from "../../../src/models/load.js";
import { runPipeline } from "../../../src/pipeline/run.js";
import { linearModel } from "./fake-model.js";

/** The pipeline reads a model file only within LIMITS.maxModelBytes (docs/security.md, "Limits"). */

test("a model file over LIMITS.maxModelBytes fails the run at model-read, before it is read or loaded", async () => {
  const dir = mkdtempSync(join(tmpdir(), "maie-pipeline-limits-"));
  try {
    mkdirSync(join(dir, "prices"));
    mkdirSync(join(dir, "models"));
    writeFileSync(join(dir, "prices", "prices.csv"), readFileSync("config/samples/data/prices.csv"));
    const model = join(dir, "models", "model.txt");
    writeFileSync(model, "tree\n");
    truncateSync(model, LIMITS.maxModelBytes + 1); // sparse: no disk used
    let loads = 0;
    const err = await runPipeline({
      dataDir: dir,
      loadModel: async () => {
        loads++;
        return linearModel(FEATURE_NAMES_V1);
      },
      clock: () => new Date("2026-11-27T22:15:00Z"),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("LIMITS.maxModelBytes");
    expect(loads).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
