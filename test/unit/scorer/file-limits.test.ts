import { readFileSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { LIMITS } from "../../../src/models/errors.js";
import { parseModel } from "../../../src/models/load.js";
import { FileTooLargeError, MAX_WATCHED_FILE_BYTES, WatchedFile } from "../../../src/scorer/reload.js";
import { loadExplainableModel } from "../../../src/treeshap/model.js";
import { realSources } from "../../../src/scorer/wiring.js";
import { json, makeDataDir, startScorer, until, writeStandardData, type DataDir } from "./fakes.js";

const FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/treeshap/", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * Watched files are bounded in bytes (docs/security.md, "Limits"): a file over
 * its limit is refused by its size, never read, and the last good value keeps
 * serving. The oversized files are sparse: a few bytes on disk.
 */

let data: DataDir;
beforeEach(async () => {
  data = await makeDataDir();
});
afterEach(async () => {
  await data.cleanup();
});

/** Renames a sparse file of `size` bytes over `rel`, as a deploy tool would. */
function sparseInto(rel: string, size: number): void {
  const target = join(data.dir, rel);
  const tmp = `${target}.sparse-tmp`;
  writeFileSync(tmp, "tree\n");
  truncateSync(tmp, size);
  renameSync(tmp, target);
}

const metricValue = async (url: string, name: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? NaN : Number(line.split(" ").pop());
};

describe("watched files are bounded in bytes", () => {
  test("WatchedFile refuses a file over maxBytes unread, once per version, naming the limit", async () => {
    sparseInto("big.bin", 2_000);
    const loads: number[] = [];
    const failures: unknown[] = [];
    const f = new WatchedFile<number>({
      path: join(data.dir, "big.bin"),
      pollMs: 60_000,
      maxBytes: 1_000,
      maxBytesName: "TEST_LIMIT",
      load: async (bytes) => {
        loads.push(bytes.length);
        return bytes.length;
      },
      onFailure: (err, sha) => failures.push({ err, sha }),
    });
    await f.check();
    await f.check();
    expect(loads).toEqual([]);
    expect(f.current).toBeNull();
    expect(failures).toHaveLength(1);
    const { err, sha } = failures[0] as { err: FileTooLargeError; sha: string | null };
    expect(err).toBeInstanceOf(FileTooLargeError);
    expect(err.message).toContain("TEST_LIMIT (1000)");
    expect(err.size).toBe(2_000);
    expect(sha).toBeNull();
    // a file within the limit is then loaded
    writeFileSync(join(data.dir, "big.bin"), "ok");
    await f.check();
    expect(f.current?.value).toBe(2);
    f.close();
  });

  test("an oversized model file is refused by size; the last good model keeps serving", async () => {
    await writeStandardData(data);
    const s = await startScorer(data.dir);
    try {
      const ready = async () => json(await fetch(`${s.url}/ready`));
      const sha = (await ready()).model_sha256;
      sparseInto("models/model.txt", LIMITS.maxModelBytes + 1);
      await until(async () => (await metricValue(s.url, "maie_model_reload_failures_total")) === 1);
      expect((await ready()).model_sha256).toBe(sha);
      const res = await fetch(`${s.url}/explain_local`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ticker: "AAA" }),
      });
      expect(res.status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  test("an oversized expected panel is refused by size; the last good panel keeps serving", async () => {
    await writeStandardData(data);
    const s = await startScorer(data.dir);
    try {
      const before = await (await fetch(`${s.url}/score_expected`)).text();
      sparseInto("expected/expected_latest.parquet", MAX_WATCHED_FILE_BYTES + 1);
      await until(async () => (await metricValue(s.url, "maie_model_reload_failures_total")) === 1);
      const res = await fetch(`${s.url}/score_expected`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(before);
    } finally {
      await s.stop();
    }
  });

  test("a few-KB hostile model (categorical bitsets past the limit) is refused; the real model keeps serving", async () => {
    await data.write(
      "models/model.txt",
      readFileSync(join(ROOT, "config/samples/data/models/lightgbm/model.txt"), "utf8"),
    );
    const s = await startScorer(
      data.dir,
      { readinessRequiresModel: "true" },
      realSources(loadExplainableModel),
    );
    try {
      const ready = async () => json(await fetch(`${s.url}/ready`));
      await until(async () => (await ready()).model_sha256 !== null);
      const sha = (await ready()).model_sha256;
      const failures = await metricValue(s.url, "maie_model_reload_failures_total");
      // One tree, nine categorical splits each on category 2^24 - 1: 9 × 2^19 bitset words.
      const node = (i: number) => i;
      const n = 19;
      const tree = {
        base_weights: Array(n).fill(0),
        categories: Array(9).fill(LIMITS.maxCategory - 1),
        categories_nodes: [0, 1, 2, 3, 4, 5, 6, 7, 8].map(node),
        categories_segments: [0, 1, 2, 3, 4, 5, 6, 7, 8],
        categories_sizes: Array(9).fill(1),
        default_left: Array(n).fill(0),
        id: 0,
        left_children: [1, 3, 5, 7, 9, 11, 13, 15, 17, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        loss_changes: Array(n).fill(0),
        parents: [2147483647, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8],
        right_children: [2, 4, 6, 8, 10, 12, 14, 16, 18, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        split_conditions: Array(n).fill(0),
        split_indices: Array(n).fill(0),
        split_type: [...Array<number>(9).fill(1), ...Array<number>(10).fill(0)],
        sum_hessian: Array(n).fill(1),
        tree_param: { num_deleted: "0", num_feature: "1", num_nodes: String(n), size_leaf_vector: "1" },
      };
      const sample = JSON.parse(readFileSync(join(FIXTURES, "xgb_categorical.json"), "utf8")) as {
        learner: {
          gradient_booster: { model: Record<string, unknown> };
          learner_model_param: Record<string, string>;
        };
      };
      const model = sample.learner.gradient_booster.model;
      model.trees = [tree];
      model.tree_info = [0];
      (model.gbtree_model_param as Record<string, string>).num_trees = "1";
      const hostile = JSON.stringify(sample);
      expect(hostile.length).toBeLessThan(8192);
      expect(() => parseModel(hostile, "auto")).toThrow(/LIMITS\.maxCategoricalWords/);
      await data.write("models/model.txt", hostile);
      await until(
        async () => (await metricValue(s.url, "maie_model_reload_failures_total")) === failures + 1,
      );
      expect((await ready()).model_sha256).toBe(sha);
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});
