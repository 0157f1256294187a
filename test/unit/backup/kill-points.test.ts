import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { listArchives, verifyArchive } from "../../../src/backup/index.js";
import { tempDirs } from "../../harness/temp-dirs.js";

/**
 * SIGKILL at write operations of a real backup (kill-at-op.ts preloaded into
 * run-child.ts; operations under the backups dir: the staging copy, the temp
 * archive, its fsync and rename, the cleanup). After each kill the previous
 * archive is byte-identical and verifies; the new archive is either absent
 * or complete and verifying, never partial under an archive name; the next
 * run removes every leftover and succeeds. backup.test.ts kills once, at the
 * first archive bytes.
 */

const PRELOAD = "./dist/test/unit/pipeline/kill-at-op.js";
const CHILD = "dist/test/unit/backup/run-child.js";
const temp = tempDirs();

function put(root: string, rel: string, data: Uint8Array | string) {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), data);
}

function run(data: string, backups: string, at: string, killAt: number) {
  return new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", PRELOAD, CHILD, data, backups, at], {
      env: { ...process.env, MAIE_KILL_DIR: backups, MAIE_KILL_AT_OP: String(killAt) },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

const DAY1 = "2026-11-27T23:00:00Z";
const DAY2 = "2026-11-28T23:00:00Z";
const DAY3 = "2026-11-29T23:00:00Z";

describe("backup killed at write operations", () => {
  test("the previous archive stays intact and verifiable; the next run cleans up", async () => {
    const data = temp("maie-bk-data-");
    put(data, "models/model.txt", randomBytes(300_000));
    put(data, "expected/expected_latest.parquet", randomBytes(5000));
    put(data, "reports/2026-11-27/index.html", "<html>27</html>");
    const base = temp("maie-bk-backups-");
    expect((await run(data, base, DAY1, 0)).code).toBe(0);
    const [first] = readdirSync(base);
    const previous = readFileSync(join(base, first!));
    put(data, "reports/2026-11-28/index.html", "<html>28</html>");

    const counted = temp("maie-bk-count-");
    cpSync(base, counted, { recursive: true });
    const c = await run(data, counted, DAY2, 0);
    expect(c.code).toBe(0);
    const ops = Number(/kill-at-op: (\d+) ops/.exec(c.stderr)?.[1]);
    expect(ops).toBeGreaterThan(5);

    const outcomes: string[] = [];
    // Every operation (a handful: the staging copies, the manifest, the temp archive's fsync and rename).
    const points = Array.from({ length: ops }, (_, i) => i + 1);
    for (const k of points) {
      const backups = temp("maie-bk-kill-");
      cpSync(base, backups, { recursive: true });
      const r = await run(data, backups, DAY2, k);
      expect({ k, signal: r.signal }).toEqual({ k, signal: "SIGKILL" });
      expect(readFileSync(join(backups, first!)).equals(previous)).toBe(true);
      const archives = await listArchives(backups);
      // Whatever carries an archive name is complete.
      for (const a of archives) await verifyArchive(a.path);
      const leftovers = readdirSync(backups).filter((n) => n.startsWith("."));
      outcomes.push(
        `${k}:${archives.length} archive(s)${leftovers.length > 0 ? `+${leftovers.length} leftover` : ""}`,
      );
      const next = await run(data, backups, DAY3, 0);
      expect({ k, code: next.code }).toEqual({ k, code: 0 });
      expect({ k, left: readdirSync(backups).filter((n) => n.startsWith(".")) }).toEqual({ k, left: [] });
    }
    process.stderr.write(`backup kill points (${ops} ops): ${outcomes.join(" ")}\n`);
    expect(outcomes.some((o) => o.includes(":1 archive"))).toBe(true);
    expect(outcomes.some((o) => o.includes(":2 archive"))).toBe(true);
  });
});
