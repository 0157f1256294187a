/**
 * Run as a separate process by pipeline.test.ts: runs the pipeline with a
 * writer that, when it reaches `expected_latest.parquet`, writes half of the
 * new bytes into the temp file (as writeFileAtomic does first) and then
 * SIGKILLs its own process: a crash in the middle of the panel write.
 *
 *   node crash-child.js <dataDir>
 */
import { open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { FEATURE_NAMES_V1 } from "../../../src/features/index.js";
import { runPipeline } from "../../../src/pipeline/run.js";
import { writeFileAtomic } from "../../../src/util/atomic-write.js";
import { linearModel } from "./fake-model.js";

const dataDir = process.argv[2]!;
await runPipeline({
  dataDir,
  loadModel: async () => linearModel(FEATURE_NAMES_V1, 0.5),
  async writeFile(path, data) {
    if (basename(path) !== "expected_latest.parquet") return writeFileAtomic(path, data);
    const tmp = join(dirname(path), `.${basename(path)}.0123456789ab.tmp`);
    const handle = await open(tmp, "wx");
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    await handle.write(bytes.subarray(0, bytes.length >> 1));
    await handle.sync();
    process.kill(process.pid, "SIGKILL");
    await new Promise(() => undefined);
  },
});
