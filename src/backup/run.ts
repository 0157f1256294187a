import { lstat, mkdtemp, open, readdir, readFile, rename, rm, stat, chmod, mkdir } from "node:fs/promises";
import { constants } from "node:fs";
import { dirname, join } from "node:path";
import { BACKUP_ROOTS, BACKUP_SUMMARY, DATA_DIRS, EXPECTED_LATEST } from "../contract/data-layout.js";
import { backupKey, OBJECT_DIRS } from "../contract/object-layout.js";
import type { ObjectStore } from "../objectstore/index.js";
import { messageOf } from "../util/message-of.js";
import { decodeExpectedPanel } from "../panel/index.js";
import { recordRun, type RunSummary } from "../job/summary.js";
import {
  listDataFiles,
  readArchive,
  safeJoin,
  verifyArchive,
  writeArchive,
  type ArchiveSink,
} from "./archive.js";
import {
  ARCHIVE_LIMITS,
  archiveName,
  archiveTime,
  BackupVerifyError,
  DIR_MODE,
  FILE_MODE_MASK,
  manifestDirs,
  type ArchiveLimits,
  type BackupManifest,
} from "./manifest.js";
import { listBucketArchives, sha256File, uploadArchive, type UploadedArchive } from "./offsite.js";

const DAY_MS = 86_400_000;

export interface BackupOptions {
  readonly dataDir: string;
  readonly backupsDir: string;
  /** Archives older than this are deleted (the newest archive is always kept). @default 30 */
  readonly retentionDays?: number;
  /** `reports/<YYYY-MM-DD>/` folders older than this are deleted from the data dir. @default 90 */
  readonly reportsRetentionDays?: number;
  /** Re-read the new archive and check every file against the manifest. @default true */
  readonly verify?: boolean;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  readonly progress?: (line: string) => void;
  /** Test hook: bytes of the new archive written so far. */
  readonly onBytes?: (written: number) => void;
  /**
   * Off-site copy: each verified archive is uploaded to `backups/<archive>`
   * under the store's prefix, and retention is applied to the bucket too.
   */
  readonly objectStore?: ObjectStore;
}

/**
 * Incomplete multipart uploads under `backups/` older than this before a run
 * starts are orphans of a killed run (runs never overlap: the CronJob
 * forbids it) and are aborted. The margin covers clock skew with the store.
 */
const ORPHAN_UPLOAD_MARGIN_MS = 3_600_000;

/** What a backup run records besides its outcome (`runs/backup-last.json`). */
export interface BackupRun {
  readonly archive: string;
  readonly archiveBytes: number;
  readonly archiveSha256: string;
  readonly files: number;
  readonly totalBytes: number;
  readonly panelAsOf: string | null;
  readonly verified: boolean;
  readonly prunedArchives: readonly string[];
  readonly prunedReports: readonly string[];
  /** The off-site copy, or null when no object store is configured. */
  readonly uploaded: UploadedArchive | null;
  /** URIs of the archives retention deleted from the bucket. */
  readonly prunedObjects: readonly string[];
}

export type BackupSummary = RunSummary<BackupRun>;

export interface ArchiveInfo {
  readonly name: string;
  readonly path: string;
  readonly createdAt: Date;
}

/** Archives in `backupsDir`, oldest first (by the time in their names). */
export async function listArchives(backupsDir: string): Promise<ArchiveInfo[]> {
  const names = await readdir(backupsDir).catch(() => [] as string[]);
  return names
    .map((name) => ({ name, path: join(backupsDir, name), createdAt: archiveTime(name) }))
    .filter((a): a is ArchiveInfo => a.createdAt !== null)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** Archives (oldest first) that retention deletes at `now`: older than `retentionDays`, never the newest one. */
export function archivesToPrune<T extends { readonly createdAt: Date }>(
  archives: readonly T[],
  now: Date,
  retentionDays: number,
): T[] {
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  return archives.slice(0, -1).filter((a) => a.createdAt.getTime() < cutoff);
}

/** `reports/<date>` folder names that retention deletes at `now`. */
export function reportsToPrune(folders: readonly string[], now: Date, retentionDays: number): string[] {
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  return folders.filter((f) => /^\d{4}-\d{2}-\d{2}$/.test(f) && Date.parse(`${f}T00:00:00Z`) < cutoff);
}

/** Writes checked archive entries under `staging` (a fresh folder): new files only, never through a link. */
function stagingSink(staging: string): ArchiveSink {
  return {
    async directory(rel) {
      await mkdir(safeJoin(staging, rel), { recursive: true, mode: 0o700 });
    },
    async file(rel) {
      const p = safeJoin(staging, rel);
      await mkdir(dirname(p), { recursive: true, mode: 0o700 });
      const handle = await open(
        p,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      return {
        async write(chunk) {
          for (let off = 0; off < chunk.length;)
            off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
        },
        async close() {
          await handle.close();
        },
      };
    },
  };
}

/**
 * The off-site half of a run: orphan uploads aborted, the archive uploaded,
 * then bucket retention. An upload failure names what is kept locally.
 */
async function copyOffsite(
  store: ObjectStore,
  archive: { readonly path: string; readonly name: string; readonly sha256: string },
  times: { readonly startedAt: Date; readonly now: () => Date },
  retentionDays: number,
  progress: (line: string) => void,
): Promise<{ uploaded: UploadedArchive; prunedObjects: string[] }> {
  let uploaded: UploadedArchive;
  try {
    const orphans = await store.abortIncompleteUploads(
      OBJECT_DIRS.backups,
      new Date(times.startedAt.getTime() - ORPHAN_UPLOAD_MARGIN_MS),
    );
    if (orphans.length > 0)
      progress(`aborted ${orphans.length} incomplete upload(s) left by an interrupted backup`);
    uploaded = await uploadArchive(store, archive.path, archive.name, archive.sha256);
  } catch (err) {
    throw new Error(
      `${archive.name} is written, verified and kept in ${dirname(archive.path)}, but its upload to ${store.uri(backupKey(archive.name))} failed: ${messageOf(err)}`,
      { cause: err },
    );
  }
  progress(`uploaded ${archive.name} to ${uploaded.uri} (${uploaded.size} bytes, sha256 ${uploaded.sha256})`);
  const pruned = archivesToPrune(await listBucketArchives(store), times.now(), retentionDays);
  for (const a of pruned) await store.delete(a.ref);
  if (pruned.length > 0)
    progress(
      `pruned ${pruned.length} archive(s) older than ${retentionDays} days from ${store.uri(OBJECT_DIRS.backups)}`,
    );
  return { uploaded, prunedObjects: pruned.map((a) => a.uri) };
}

/**
 * `maie backup run`: 1. sweep leftovers of interrupted runs; 2. write a new
 * archive (atomically); 3. verify it by re-reading; 4. with an object
 * store, upload it and prune the bucket's archives past retention (never
 * the newest); 5. prune local archives past retention (never the newest);
 * 6. prune old reports from the data dir; 7. write `runs/backup-last.json`.
 * A failure leaves earlier archives as they were (a failed upload also
 * keeps the new local archive) and records the failure with the last
 * success time kept.
 */
export async function runBackup(options: BackupOptions): Promise<BackupSummary> {
  const clock = options.clock ?? (() => new Date());
  const progress = options.progress ?? (() => undefined);
  const retentionDays = options.retentionDays ?? 30;
  const reportsRetentionDays = options.reportsRetentionDays ?? 90;
  return recordRun<BackupRun>({
    dataDir: options.dataDir,
    file: BACKUP_SUMMARY,
    clock,
    run: async (startedAt) => {
      if (!(retentionDays > 0) || !(reportsRetentionDays > 0))
        throw new Error("retention days must be positive numbers");
      await mkdir(options.backupsDir, { recursive: true });
      for (const name of await readdir(options.backupsDir))
        if (name.startsWith(".staging-") || /^\.maie-backup-.*\.tmp$/.test(name)) {
          await rm(join(options.backupsDir, name), { recursive: true, force: true });
          progress(`removed ${name}, left by an interrupted backup`);
        }
      const name = archiveName(startedAt);
      const path = join(options.backupsDir, name);
      if (await stat(path).catch(() => null)) throw new Error(`${name} already exists`);
      const manifest = await writeArchive({
        dataDir: options.dataDir,
        archivePath: path,
        now: startedAt,
        ...(options.onBytes === undefined ? {} : { onBytes: options.onBytes }),
      });
      const archiveBytes = (await stat(path)).size;
      progress(
        `wrote ${path}: ${manifest.files.length} files, ${manifest.totalBytes} bytes → ${archiveBytes} bytes`,
      );
      const verify = options.verify ?? true;
      if (verify) {
        await verifyArchive(path);
        progress(`verified ${name}: every file matches its SHA-256`);
      }
      const archiveSha256 = await sha256File(path);
      const offsite =
        options.objectStore === undefined
          ? { uploaded: null, prunedObjects: [] }
          : await copyOffsite(
              options.objectStore,
              { path, name, sha256: archiveSha256 },
              { startedAt, now: clock },
              retentionDays,
              progress,
            );
      const now = clock();
      const pruned = archivesToPrune(await listArchives(options.backupsDir), now, retentionDays);
      for (const a of pruned) await rm(a.path, { force: true });
      if (pruned.length > 0) progress(`pruned ${pruned.length} archive(s) older than ${retentionDays} days`);
      const reportDirs = await readdir(join(options.dataDir, DATA_DIRS.reports)).catch(() => [] as string[]);
      const oldReports = reportsToPrune(reportDirs, now, reportsRetentionDays);
      for (const r of oldReports)
        await rm(join(options.dataDir, DATA_DIRS.reports, r), { recursive: true, force: true });
      if (oldReports.length > 0)
        progress(`pruned ${oldReports.length} report(s) older than ${reportsRetentionDays} days`);
      return {
        archive: name,
        archiveBytes,
        archiveSha256,
        files: manifest.files.length,
        totalBytes: manifest.totalBytes,
        panelAsOf: manifest.panelAsOf,
        verified: verify,
        prunedArchives: pruned.map((a) => a.name),
        prunedReports: oldReports,
        ...offsite,
      };
    },
  });
}

/** Resolves `latest` (or undefined) to the newest archive in `backupsDir`; any other value is a path. */
export async function resolveArchive(backupsDir: string, which: string | undefined): Promise<string> {
  if (which !== undefined && which !== "latest") return which;
  const all = await listArchives(backupsDir);
  const newest = all.at(-1);
  if (newest === undefined) throw new Error(`no backup archive in ${backupsDir}`);
  return newest.path;
}

export interface RestoreOptions {
  readonly dataDir: string;
  readonly archive: string;
  /** Restore even when the data dir holds newer data. @default false */
  readonly force?: boolean;
  readonly clock?: () => Date;
  readonly progress?: (line: string) => void;
  /** Caps on what the archive may hold. @default ARCHIVE_LIMITS */
  readonly limits?: ArchiveLimits;
  /** How messages and the result name the archive (the object's URI for a downloaded copy). @default archive */
  readonly label?: string;
}

export interface RestoreResult {
  readonly archive: string;
  readonly files: number;
  readonly panelAsOf: string | null;
  /** Where data that was replaced has been moved (kept for a manual rollback), if any. */
  readonly movedAside: string | null;
}

/** The data dir holds data newer than the archive: restoring would lose it. */
export class RestoreRefusedError extends Error {
  override readonly name = "RestoreRefusedError";
  constructor(readonly reasons: readonly string[]) {
    super(
      `the data dir holds newer data than the archive (${reasons.join("; ")}); use --force to restore anyway`,
    );
  }
}

/** Why the data in `dataDir` is newer than `manifest` (empty when it is not). */
export async function newerDataReasons(dataDir: string, manifest: BackupManifest): Promise<string[]> {
  const reasons: string[] = [];
  try {
    const asOf = (await decodeExpectedPanel(await readFile(join(dataDir, EXPECTED_LATEST)))).asOf;
    if (manifest.panelAsOf === null || asOf > manifest.panelAsOf)
      reasons.push(`expected panel as of ${asOf}, archive's ${manifest.panelAsOf ?? "none"}`);
  } catch {
    // no readable panel: nothing to compare
  }
  const created = Date.parse(manifest.createdAt);
  const newer: string[] = [];
  for (const rel of await listDataFiles(dataDir)) {
    const info = await lstat(join(dataDir, rel));
    if (info.mtime.getTime() > created) newer.push(rel);
  }
  if (newer.length > 0)
    reasons.push(
      `${newer.length} file(s) changed after ${manifest.createdAt}, e.g. ${newer.slice(0, 3).join(", ")}`,
    );
  return reasons;
}

/**
 * `maie restore`, trusting nothing in the archive: 1. read it once with every
 * check (readArchive: manifest schema, caps, entry types, paths, sizes,
 * SHA-256) writing nothing; 2. refuse when the data dir is newer (unless
 * `force`); 3. read it again, with the same checks, into a fresh staging
 * folder inside the data dir: only regular files and folders, created by this
 * process (its owner, never the archive's), files opened O_EXCL|O_NOFOLLOW;
 * 4. only when every file's hash matched: each path is lstat'ed (a symlink is
 * never followed), modes are masked to 0644 (files) / 0755 (folders) and
 * mtimes set through a handle opened O_NOFOLLOW; 5. swap each root folder in
 * with a rename (the replaced one is moved to `.pre-restore-<time>/`). Any
 * failure before 5 removes the staging folder and leaves the data dir as it
 * was.
 */
export async function runRestore(options: RestoreOptions): Promise<RestoreResult> {
  const progress = options.progress ?? (() => undefined);
  const clock = options.clock ?? (() => new Date());
  const limits = options.limits ?? ARCHIVE_LIMITS;
  const label = options.label ?? options.archive;
  const manifest = await verifyArchive(options.archive, limits);
  progress(`verified ${label}: ${manifest.files.length} files from ${manifest.createdAt}`);
  const reasons = await newerDataReasons(options.dataDir, manifest);
  if (reasons.length > 0 && options.force !== true) throw new RestoreRefusedError(reasons);
  await mkdir(options.dataDir, { recursive: true });
  const staging = await mkdtemp(join(options.dataDir, ".restore-"));
  try {
    const extracted = await readArchive(options.archive, limits, stagingSink(staging));
    if (JSON.stringify(extracted) !== JSON.stringify(manifest))
      throw new BackupVerifyError(label, ["the archive changed while it was restored"]);
    for (const f of manifest.files) {
      const p = safeJoin(staging, f.path);
      const info = await lstat(p);
      if (!info.isFile() || info.nlink !== 1)
        throw new BackupVerifyError(label, [`${f.path}: not a regular file after extraction`]);
      const handle = await open(p, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        await handle.chmod(f.mode & FILE_MODE_MASK);
        const mtime = new Date(f.mtime);
        await handle.utimes(mtime, mtime);
      } finally {
        await handle.close();
      }
    }
    for (const dir of manifestDirs(manifest.files)) {
      const p = safeJoin(staging, dir);
      const info = await lstat(p);
      if (!info.isDirectory()) throw new BackupVerifyError(label, [`${dir}: not a folder after extraction`]);
      await chmod(p, DIR_MODE);
    }
    const stamp = clock().toISOString().replace(/[:.]/g, "-");
    const aside = join(options.dataDir, `.pre-restore-${stamp}`);
    let moved = false;
    for (const root of BACKUP_ROOTS) {
      const target = join(options.dataDir, root);
      if (await stat(target).catch(() => null)) {
        await mkdir(aside, { recursive: true });
        await rename(target, join(aside, root));
        moved = true;
      }
      if (await stat(join(staging, root)).catch(() => null)) await rename(join(staging, root), target);
    }
    const dirHandle = await open(options.dataDir, "r");
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    if (moved) progress(`previous data moved to ${aside}`);
    progress(
      `restored ${manifest.files.length} files (panel as of ${manifest.panelAsOf ?? "none"}) into ${options.dataDir}`,
    );
    return {
      archive: label,
      files: manifest.files.length,
      panelAsOf: manifest.panelAsOf,
      movedAside: moved ? aside : null,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
