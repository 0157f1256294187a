import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { create, extract } from "tar";
import {
  archivesToPrune,
  BackupVerifyError,
  listArchives,
  listDataFiles,
  reportsToPrune,
  RestoreRefusedError,
  runBackup,
  runRestore,
  verifyArchive,
} from "../../../src/backup/index.js";
import { BACKUP_SUMMARY } from "../../../src/contract/data-layout.js";
import { encodeExpectedPanel } from "../../../src/panel/index.js";
import { tempDirs } from "../../harness/temp-dirs.js";

const at = (iso: string) => () => new Date(iso);
const tempDir = tempDirs();

/** `maie backup run` of `data` into `backups` at the tests' usual time, 2026-11-27 23:00 UTC. */
const backupAt = (data: string, backups: string) =>
  runBackup({ dataDir: data, backupsDir: backups, clock: at("2026-11-27T23:00:00Z") });

function put(root: string, rel: string, data: string | Uint8Array, mtime = new Date("2026-11-27T22:20:00Z")) {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
  utimesSync(p, mtime, mtime);
}

/** A data dir shaped like the volume: a model, the panel, history, features, two reports, a run summary. */
function dataDir(asOf = "2026-11-27"): string {
  const d = tempDir("maie-data-");
  put(d, "models/model.txt", "tree\nversion=v4\n" + "x".repeat(5000));
  put(d, "models/model.json", '{"format":"lightgbm"}\n');
  const panel = encodeExpectedPanel({ asOf, tickers: ["A", "B"], alpha: Float64Array.of(0.1, -0.2) });
  put(d, "expected/expected_latest.parquet", panel);
  put(d, `expected/history/${asOf}.parquet`, panel);
  put(d, "expected/features_latest.parquet", randomBytes(3000));
  put(d, "reports/2026-11-26/index.html", "<html>26</html>");
  put(d, `reports/${asOf}/index.html`, "<html>27</html>");
  chmodSync(join(d, "models/model.json"), 0o600);
  put(d, "runs/pipeline-last.json", "{}");
  return d;
}

function snapshot(root: string) {
  return listDataFiles(root).then((files) =>
    files.map((rel) => {
      const s = statSync(join(root, rel));
      return {
        rel,
        bytes: readFileSync(join(root, rel)).toString("base64"),
        mode: s.mode & 0o777,
        mtime: s.mtimeMs,
      };
    }),
  );
}

describe("maie backup and restore", () => {
  test("backup, wipe, restore into an empty data dir gives byte-identical files", async () => {
    const data = dataDir();
    const backups = tempDir("maie-backups-");
    const before = await snapshot(data);
    const summary = await backupAt(data, backups);
    expect(summary).toMatchObject({
      ok: true,
      archive: "maie-backup-20261127T230000Z.tar.gz",
      files: 7,
      verified: true,
    });
    expect(summary.panelAsOf).toBe("2026-11-27");
    expect(JSON.parse(readFileSync(join(data, BACKUP_SUMMARY), "utf8"))).toEqual(summary);

    rmSync(data, { recursive: true });
    const fresh = tempDir("maie-fresh-");
    const result = await runRestore({ dataDir: fresh, archive: join(backups, summary.archive!) });
    expect(result).toMatchObject({ files: 7, panelAsOf: "2026-11-27", movedAside: null });
    expect(await snapshot(fresh)).toEqual(before);
    expect(readdirSync(fresh).sort()).toEqual(["expected", "models", "reports"]);
  });

  test("a backups volume with a setgid folder (Kubernetes fsGroup) still gives archives that verify", async () => {
    // The kubelet applies fsGroup by making the volume's folders setgid;
    // folders made inside inherit the bit (found on a real node).
    const data = dataDir();
    const backups = tempDir("maie-backups-");
    chmodSync(backups, 0o2775);
    for (const folder of ["models", "expected", "reports"]) chmodSync(join(data, folder), 0o2775);
    const summary = await backupAt(data, backups);
    expect(summary).toMatchObject({ ok: true, verified: true });
    await expect(verifyArchive(join(backups, summary.archive!))).resolves.toBeDefined();
  });

  test("verify finds a file whose content does not match the manifest", async () => {
    const data = dataDir();
    const backups = tempDir("maie-backups-");
    const { archive } = await backupAt(data, backups);
    const work = tempDir("maie-tamper-");
    await extract({ file: join(backups, archive!), cwd: work });
    writeFileSync(join(work, "models/model.txt"), "tampered");
    const tampered = join(backups, "tampered.tar.gz");
    await create({ gzip: true, cwd: work, file: tampered }, [
      "manifest.json",
      "models",
      "expected",
      "reports",
    ]);
    await expect(verifyArchive(tampered)).rejects.toThrow(BackupVerifyError);
    await expect(verifyArchive(tampered)).rejects.toThrow(/models\/model.txt: 8 bytes, manifest says/);
    const truncated = join(backups, "truncated.tar.gz");
    writeFileSync(truncated, readFileSync(join(backups, archive!)).subarray(0, 200));
    await expect(verifyArchive(truncated)).rejects.toThrow(/unreadable archive/);
  });

  test("restore refuses to overwrite newer data unless forced, and keeps what it replaced", async () => {
    const data = dataDir();
    const backups = tempDir("maie-backups-");
    const { archive } = await backupAt(data, backups);
    const newer = encodeExpectedPanel({ asOf: "2026-11-30", tickers: ["A"], alpha: Float64Array.of(1) });
    put(data, "expected/expected_latest.parquet", newer, new Date("2026-11-30T22:20:00Z"));
    const path = join(backups, archive!);
    await expect(runRestore({ dataDir: data, archive: path })).rejects.toThrow(RestoreRefusedError);
    await expect(runRestore({ dataDir: data, archive: path })).rejects.toThrow(/as of 2026-11-30.*--force/);
    expect(readFileSync(join(data, "expected/expected_latest.parquet"))).toEqual(Buffer.from(newer));
    const forced = await runRestore({
      dataDir: data,
      archive: path,
      force: true,
      clock: at("2026-12-01T00:00:00Z"),
    });
    expect(forced.movedAside).not.toBeNull();
    expect(readFileSync(join(forced.movedAside!, "expected/expected_latest.parquet"))).toEqual(
      Buffer.from(newer),
    );
    expect(readFileSync(join(data, "expected/expected_latest.parquet"))).not.toEqual(Buffer.from(newer));
  });

  test("retention keeps 30 days of daily archives and 90 days of reports, by the injected clock", async () => {
    const data = dataDir();
    const backups = tempDir("maie-backups-");
    put(data, "reports/2026-08-01/index.html", "old");
    put(data, "reports/2026-09-15/index.html", "recent");
    const start = Date.parse("2026-11-01T23:00:00Z");
    const runs: Awaited<ReturnType<typeof runBackup>>[] = [];
    for (let day = 0; day < 40; day++)
      runs.push(
        await runBackup({
          dataDir: data,
          backupsDir: backups,
          clock: () => new Date(start + day * 86_400_000),
        }),
      );
    const names = (await listArchives(backups)).map((a) => a.name);
    // Run on 2026-12-10: archives from 2026-11-10 (exactly 30 days) onwards survive.
    expect(names[0]).toBe("maie-backup-20261110T230000Z.tar.gz");
    expect(names.at(-1)).toBe("maie-backup-20261210T230000Z.tar.gz");
    expect(names).toHaveLength(31);
    expect(runs.at(-1)?.prunedArchives).toEqual(["maie-backup-20261109T230000Z.tar.gz"]);
    expect(readdirSync(join(data, "reports")).sort()).toEqual(["2026-09-15", "2026-11-26", "2026-11-27"]);
  });

  test("pruning never deletes the newest archive, however old", () => {
    const a = (iso: string) => ({ name: iso, path: iso, createdAt: new Date(iso) });
    const all = [a("2026-01-01T00:00:00Z"), a("2026-02-01T00:00:00Z")];
    expect(archivesToPrune(all, new Date("2026-12-01T00:00:00Z"), 30).map((x) => x.name)).toEqual([
      "2026-01-01T00:00:00Z",
    ]);
    expect(
      reportsToPrune(["2026-09-01", "2026-09-02", "notes"], new Date("2026-12-01T00:00:00Z"), 90),
    ).toEqual(["2026-09-01"]);
  });

  test("a backup killed mid-write leaves the previous archive intact and the next run cleans up", async () => {
    const data = dataDir();
    const backups = tempDir("maie-backups-");
    put(data, "expected/history/big.bin", randomBytes(2_000_000));
    await backupAt(data, backups);
    const previous = readFileSync(join(backups, "maie-backup-20261127T230000Z.tar.gz"));
    const child = spawnSync(
      process.execPath,
      ["dist/test/unit/backup/crash-child.js", data, backups, "2026-11-28T23:00:00Z"],
      { encoding: "utf8" },
    );
    expect(child.signal).toBe("SIGKILL");
    expect((await listArchives(backups)).map((a) => a.name)).toEqual(["maie-backup-20261127T230000Z.tar.gz"]);
    expect(readFileSync(join(backups, "maie-backup-20261127T230000Z.tar.gz"))).toEqual(previous);
    await verifyArchive(join(backups, "maie-backup-20261127T230000Z.tar.gz"));
    expect(readdirSync(backups).some((n) => n.startsWith("."))).toBe(true);
    const lines: string[] = [];
    await runBackup({
      dataDir: data,
      backupsDir: backups,
      clock: at("2026-11-28T23:00:00Z"),
      progress: (l) => lines.push(l),
    });
    expect(lines.some((l) => l.includes("left by an interrupted backup"))).toBe(true);
    expect(readdirSync(backups).sort()).toEqual([
      "maie-backup-20261127T230000Z.tar.gz",
      "maie-backup-20261128T230000Z.tar.gz",
    ]);
  });
});
