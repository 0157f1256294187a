import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { extract } from "tar";
import {
  archiveBytesLimit,
  ARCHIVE_LIMITS,
  MANIFEST_NAME,
  resolveRestoreSource,
  runBackup,
  type BackupManifest,
} from "../../../src/backup/index.js";
import { backupKey, OBJECT_DIRS } from "../../../src/contract/object-layout.js";

/**
 * The parts of off-site backups that need no object store: the size bound
 * an archive object is held to before it is downloaded, where 'latest'
 * points without a store, and the key layout. The store-facing half runs
 * against the real S3 server in test/integration/backup-object-store.test.ts.
 */

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function put(root: string, rel: string, bytes: Uint8Array | string): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, bytes);
}

describe("archiveBytesLimit", () => {
  test("holds an archive of incompressible files filling the limits its manifest states", async () => {
    const data = tempDir("maie-offsite-data-");
    // Many small files (tar framing dominates) and one large one (gzip's stored blocks).
    for (let i = 0; i < 300; i++)
      put(data, `reports/2026-11-${String(i % 28).padStart(2, "0")}/f${i}.html`, randomBytes(i % 7));
    put(data, "models/model.txt", randomBytes(3 * 1024 * 1024));
    const backups = tempDir("maie-offsite-backups-");
    const summary = await runBackup({
      dataDir: data,
      backupsDir: backups,
      clock: () => new Date("2026-11-27T23:00:00Z"),
    });
    const archive = join(backups, summary.archive!);
    const work = tempDir("maie-offsite-x-");
    await extract({ file: archive, cwd: work });
    const manifestText = readFileSync(join(work, MANIFEST_NAME));
    const manifest = JSON.parse(manifestText.toString("utf8")) as BackupManifest;
    const exact = {
      maxFiles: manifest.files.length,
      maxBytes: manifest.totalBytes,
      maxManifestBytes: manifestText.length,
    };
    const size = statSync(archive).size;
    expect(size).toBeLessThanOrEqual(archiveBytesLimit(exact));
    // Not so loose that it bounds nothing: within 0.5 MiB plus framing of the archive itself.
    expect(archiveBytesLimit(exact)).toBeLessThan(size + 2 * exact.maxFiles * 2048 + 512 * 1024);
  });

  test("the default allows the largest archive ARCHIVE_LIMITS accepts, and is finite", () => {
    const limit = archiveBytesLimit();
    expect(limit).toBeGreaterThan(ARCHIVE_LIMITS.maxBytes + ARCHIVE_LIMITS.maxManifestBytes);
    expect(limit).toBeLessThan(ARCHIVE_LIMITS.maxBytes * 1.01);
  });
});

describe("resolveRestoreSource without an object store", () => {
  test("'latest' and no value are the newest local archive; a path is itself", async () => {
    const backups = tempDir("maie-offsite-src-");
    for (const name of [
      "maie-backup-20261126T230000Z.tar.gz",
      "maie-backup-20261127T230000Z.tar.gz",
      "notes.txt",
    ])
      writeFileSync(join(backups, name), "");
    const newest = { kind: "file", path: join(backups, "maie-backup-20261127T230000Z.tar.gz") };
    await expect(resolveRestoreSource(backups, "latest", undefined)).resolves.toEqual(newest);
    await expect(resolveRestoreSource(backups, undefined, undefined)).resolves.toEqual(newest);
    await expect(resolveRestoreSource(backups, "/elsewhere/a.tar.gz", undefined)).resolves.toEqual({
      kind: "file",
      path: "/elsewhere/a.tar.gz",
    });
  });

  test("an s3:// archive needs the store's settings; nothing anywhere says where it looked", async () => {
    const empty = tempDir("maie-offsite-none-");
    await expect(resolveRestoreSource(empty, "s3://b-1/backups/x.tar.gz", undefined)).rejects.toThrow(
      "restoring s3://b-1/backups/x.tar.gz needs the object store's settings",
    );
    await expect(resolveRestoreSource(join(empty, "missing"), "latest", undefined)).rejects.toThrow(
      `no backup archive in ${join(empty, "missing")}`,
    );
  });
});

test("archives live in the bucket's backups/ folder under their own names", () => {
  expect(OBJECT_DIRS.backups).toBe("backups/");
  expect(backupKey("maie-backup-20261127T230000Z.tar.gz")).toBe(
    "backups/maie-backup-20261127T230000Z.tar.gz",
  );
});
