import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { runNode, smallDisk, type SmallDisk } from "../../harness/small-disk.js";
import { archiveName } from "../../../src/backup/manifest.js";
import { tempDirs } from "../../harness/temp-dirs.js";

/**
 * `maie backup run` onto a full backups volume: a real tmpfs when this
 * process may mount one (CI runs as root), else RLIMIT_FSIZE on the child
 * (see small-disk.ts). The backup exits 1 with a last line naming the file
 * and the cause; the previous archive is byte-identical and still verifies;
 * no staging folder or temp archive is left; the run summary says failed
 * and keeps the last success.
 */

const CLI = "dist/src/cli/main.js";
const temp = tempDirs("maie-backup-fulldisk-");
let disk: SmallDisk;
const MiB = 1024 * 1024;

beforeAll(() => {
  disk = smallDisk(3 * MiB);
  process.stderr.write(`full-disk: ${disk.note}\n`);
});
afterAll(() => disk.release());

function put(root: string, rel: string, data: Uint8Array | string) {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), data);
}

const backup = (data: string, backups: string, fsize?: number) =>
  runNode(
    [CLI, "backup", "run", "--data-dir", data, "--backups-dir", backups, "--log-format", "text"],
    fsize,
  );

interface Summary {
  ok: boolean;
  lastSuccess: string | null;
  error?: string;
}

async function scenario(backups: string, fsize: number | undefined, fill: () => void, cause: RegExp) {
  const data = temp();
  // Incompressible, so the archive is as large as the data.
  put(data, "models/model.txt", randomBytes(600 * 1024));
  put(data, "expected/expected_latest.parquet", randomBytes(4096));
  put(data, "reports/2026-11-27/index.html", "<html>27</html>");
  expect((await backup(data, backups)).code).toBe(0);
  const [archive] = readdirSync(backups).filter((n) => n.endsWith(".tar.gz"));
  const previous = readFileSync(join(backups, archive!));
  const firstSummary = JSON.parse(readFileSync(join(data, "runs/backup-last.json"), "utf8")) as Summary;

  // A day later the data has grown and the volume is (nearly) full. Archive
  // names have one-second resolution and a run refuses to overwrite one, so
  // the next run must start in a later second than the first archive's.
  while (archiveName(new Date()) === archive) await new Promise((r) => setTimeout(r, 50));
  put(data, "reports/2026-11-28/big.bin", randomBytes(900 * 1024));
  fill();
  const r = await backup(data, backups, fsize);
  expect(r.code).toBe(1);
  const last = r.stderr.trimEnd().split("\n").at(-1)!;
  const named = /cannot write (\S+): /.exec(last)?.[1];
  expect({ last, named: named?.startsWith(`${backups}/`), cause: cause.test(last) }).toEqual({
    last,
    named: true,
    cause: true,
  });
  expect(readdirSync(backups).filter((n) => n !== ".filler")).toEqual([archive]);
  expect(readFileSync(join(backups, archive!)).equals(previous)).toBe(true);
  const verify = spawnSync(
    process.execPath,
    [CLI, "backup", "verify", "--backups-dir", backups, "--archive", "all"],
    {
      encoding: "utf8",
    },
  );
  expect(verify.status).toBe(0);
  const summary = JSON.parse(readFileSync(join(data, "runs/backup-last.json"), "utf8")) as Summary;
  expect(summary).toMatchObject({ ok: false, lastSuccess: firstSummary.lastSuccess });
  return last;
}

describe("backup onto a full volume", () => {
  test("tmpfs full during the staging copy and during the archive write", async () => {
    if (disk.kind !== "tmpfs") {
      // Said in the log; the RLIMIT_FSIZE test below runs everywhere.
      process.stderr.write(`full-disk: no tmpfs here (${disk.note})\n`);
      return;
    }
    const lines: string[] = [];
    // Nothing free: the staging copy fails. 2 MiB free: the staging copy
    // (≈1.5 MiB) fits, the archive beside it does not.
    for (const free of [0, 2 * MiB]) {
      disk.clear();
      lines.push(
        await scenario(
          disk.dir,
          undefined,
          () => disk.fill(free),
          /ENOSPC: no space left on device.*\(the volume is full\)/,
        ),
      );
    }
    process.stderr.write(`full-disk (tmpfs): backup failed with\n  ${lines.join("\n  ")}\n`);
    expect(lines[0]).toMatch(/\.staging-/);
    expect(lines[1]).toMatch(/maie-backup-.*\.tar\.gz/);
  });

  test("RLIMIT_FSIZE under the data's largest file: EFBIG names the file", async () => {
    const last = await scenario(
      temp(),
      800 * 1024,
      () => undefined,
      /EFBIG: file too large.*\(over the file size limit\)/,
    );
    process.stderr.write(`full-disk (fsize): backup failed with ${last}\n`);
  });
});
