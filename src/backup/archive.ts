import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { createGunzip } from "node:zlib";
import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rename,
  rm,
  unlink,
  utimes,
  writeFile,
  chmod,
} from "node:fs/promises";
import { basename, dirname, join, posix, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { create, Parser, type ReadEntry } from "tar";
import { BACKUP_ROOTS, EXPECTED_LATEST } from "../contract/data-layout.js";
import { decodeExpectedPanel } from "../panel/index.js";
import { naming } from "../util/atomic-write.js";
import { messageOf } from "../util/message-of.js";
import {
  ARCHIVE_LIMITS,
  BackupVerifyError,
  DIR_MODE,
  MANIFEST_NAME,
  manifestDirs,
  parseManifest,
  unsafePathReason,
  type ArchiveLimits,
  type BackupManifest,
  type ManifestFile,
} from "./manifest.js";

const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** Every regular file under the backup roots of `dataDir` (temp files of interrupted writes skipped), sorted. */
export async function listDataFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(join(dataDir, rel));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const name of names.sort()) {
      if (TEMP_FILE.test(name)) continue;
      const childRel = posix.join(rel, name);
      const info = await lstat(join(dataDir, childRel));
      if (info.isDirectory()) await walk(childRel);
      else if (info.isFile()) out.push(childRel);
    }
  };
  for (const root of BACKUP_ROOTS) await walk(root);
  return out;
}

export interface WriteArchiveOptions {
  readonly dataDir: string;
  readonly archivePath: string;
  readonly now: Date;
  /** Called with the byte count after each chunk of the archive is written (tests use it to crash mid-write). */
  readonly onBytes?: (written: number) => void;
}

/**
 * Snapshots the backup roots into a staging copy (so the manifest hashes
 * exactly what is archived, even if the pipeline renames new files in
 * meanwhile), writes `manifest.json` + the files as a gzip tar to a temp file
 * beside `archivePath`, fsyncs it and renames it into place. A crash leaves
 * at most a `.…tmp` file, never a partial archive under the final name.
 */
export async function writeArchive(options: WriteArchiveOptions): Promise<BackupManifest> {
  const { dataDir, archivePath, now } = options;
  const dir = dirname(archivePath);
  await mkdir(dir, { recursive: true });
  const staging = await naming(join(dir, ".staging-*"), () => mkdtemp(join(dir, ".staging-")));
  const tmp = join(dir, `.${basename(archivePath)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const files: ManifestFile[] = [];
    for (const rel of await listDataFiles(dataDir)) {
      const src = join(dataDir, rel);
      const info = await lstat(src);
      const bytes = await readFile(src);
      const dst = join(staging, ...rel.split("/"));
      await naming(dst, async () => {
        await mkdir(dirname(dst), { recursive: true });
        await writeFile(dst, bytes);
        await chmod(dst, info.mode & 0o777);
        await utimes(dst, info.atime, info.mtime);
      });
      files.push({
        path: rel,
        size: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        mtime: info.mtime.toISOString(),
        mode: info.mode & 0o777,
      });
    }
    let panelAsOf: string | null = null;
    try {
      panelAsOf = (await decodeExpectedPanel(await readFile(join(staging, EXPECTED_LATEST)))).asOf;
    } catch {
      panelAsOf = null;
    }
    const manifest: BackupManifest = {
      version: 1,
      createdAt: now.toISOString(),
      panelAsOf,
      roots: [...BACKUP_ROOTS],
      files,
      totalBytes: files.reduce((s, f) => s + f.size, 0),
    };
    const manifestPath = join(staging, MANIFEST_NAME);
    await naming(manifestPath, () => writeFile(manifestPath, JSON.stringify(manifest, null, 2) + "\n"));
    // Folders get 0755 exactly: on a Kubernetes volume with fsGroup the
    // backups folder is setgid, so folders made in it inherit the bit, and
    // an archive carrying it is one that verify and restore refuse.
    for (const folder of manifestDirs(files)) await chmod(join(staging, ...folder.split("/")), DIR_MODE);
    const present = BACKUP_ROOTS.filter((r) => files.some((f) => f.path.startsWith(`${r}/`)));
    let written = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        written += chunk.length;
        options.onBytes?.(written);
        done(null, chunk);
      },
    });
    // Errors name the archive: node's stream errors ("ENOSPC: no space left
    // on device, write") name no file.
    await naming(archivePath, async () => {
      await pipeline(
        create({ gzip: true, cwd: staging, portable: true }, [MANIFEST_NAME, ...present]),
        counter,
        createWriteStream(tmp, { flags: "wx", mode: 0o644 }),
      );
      const handle = await open(tmp, "r+");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, archivePath);
      const dirHandle = await open(dir, "r");
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    });
    return manifest;
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Where `readArchive` puts the files it reads (restore: a staging folder); without one it only hashes. */
export interface ArchiveSink {
  /** A checked directory entry (`models`, `expected/history`). */
  directory(rel: string): Promise<void>;
  /** A checked file entry: where its bytes go. */
  file(rel: string): Promise<{ write(chunk: Buffer): Promise<void>; close(): Promise<void> }>;
}

/** Tar bytes beyond the file data an archive may hold: per entry (header, pax header, padding) and at the end. */
const TAR_ENTRY_OVERHEAD = 4 * 512;
const TAR_TRAILER = 20 * 512;
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Largest archive file (compressed) whose contents can fit `limits`: the
 * file data and manifest, tar framing for up to twice `maxFiles` entries
 * (files and their folders), and gzip's worst case on incompressible data
 * (5 bytes per 64 KiB stored block, well under 0.1%). An archive fetched
 * from elsewhere (the object store) is refused past this before it is read.
 */
export function archiveBytesLimit(limits: ArchiveLimits = ARCHIVE_LIMITS): number {
  const tar =
    limits.maxBytes + limits.maxManifestBytes + 2 * limits.maxFiles * TAR_ENTRY_OVERHEAD + TAR_TRAILER;
  return Math.ceil(tar * 1.001) + 1024;
}

/**
 * Reads an archive once, trusting nothing in it, and returns its manifest
 * or throws BackupVerifyError listing what is wrong. `manifest.json` must be
 * the first entry, at most `limits.maxManifestBytes`, and valid (see
 * manifestSchema: safe unique paths under the backup roots, sizes that add up
 * within the caps, modes without setuid/setgid/sticky). Then only regular
 * files the manifest lists (once each, with the size it says) and the folders
 * holding them may follow: links, devices, FIFOs, unsafe paths, unlisted or
 * duplicate entries are problems. The decompressed stream and the entry count
 * are capped from the manifest while reading, so a gzip bomb or an endless
 * archive stops at the cap. Every file's SHA-256 is checked; a missing file is
 * a problem. With `sink`, checked entries are also written there.
 */
export async function readArchive(
  archivePath: string,
  limits: ArchiveLimits = ARCHIVE_LIMITS,
  sink?: ArchiveSink,
): Promise<BackupManifest> {
  const problems: string[] = [];
  // Written by the parser's callbacks and read after the stream: kept in an
  // object so the reads after it are not narrowed to the initial nulls.
  const found: { fatal: BackupVerifyError | null; manifest: BackupManifest | null } = {
    fatal: null,
    manifest: null,
  };
  let failed: (err: Error) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  failure.catch(() => undefined);
  const stop = (problem: string): BackupVerifyError => {
    if (found.fatal === null) {
      found.fatal = new BackupVerifyError(archivePath, [...problems, problem]);
      failed(found.fatal);
    }
    return found.fatal;
  };
  const listed = new Map<string, ManifestFile>();
  let dirs = new Set<string>();
  const seenDirs = new Set<string>();
  const seen = new Set<string>();
  let streamCap = limits.maxManifestBytes + TAR_ENTRY_OVERHEAD + TAR_TRAILER;
  let entryCap = 1;
  let entries = 0;
  const pending: Promise<void>[] = [];
  const parser = new Parser({ strict: true, brotli: false, zstd: false });
  parser.on("error", (err: Error) => stop(`unreadable archive: ${err.message}`));
  parser.on("entry", (entry: ReadEntry) => {
    entries += 1;
    const abort = (problem: string) => {
      stop(problem);
      entry.resume();
    };
    if (found.fatal !== null) {
      entry.resume();
      return;
    }
    if (entries > entryCap) return abort(`more than ${entryCap} entries`);
    const isDir = entry.type === "Directory";
    const rel = isDir ? entry.path.replace(/\/$/, "") : entry.path;
    if (entries === 1) {
      if (entry.type !== "File" || rel !== MANIFEST_NAME)
        return abort("manifest.json is not the first entry");
      if (entry.size > limits.maxManifestBytes)
        return abort(`manifest.json is over ${limits.maxManifestBytes} bytes`);
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => {
        const parsed = parseManifest(Buffer.concat(chunks).toString("utf8"), limits);
        if ("problems" in parsed) {
          problems.push(...parsed.problems);
          stop("invalid manifest.json");
          return;
        }
        const manifest = parsed.manifest;
        found.manifest = manifest;
        for (const f of manifest.files) listed.set(f.path, f);
        dirs = manifestDirs(manifest.files);
        // Room for as many unexpected entries again (each one a reported problem), then stop.
        entryCap = 2 * (1 + manifest.files.length + dirs.size) + 16;
        streamCap =
          entry.size +
          manifest.files.reduce((s, f) => s + Math.ceil(f.size / 512) * 512, 0) +
          (entryCap + 1) * TAR_ENTRY_OVERHEAD +
          TAR_TRAILER;
      });
      return;
    }
    const name = JSON.stringify(rel);
    const refuse = (problem: string) => {
      problems.push(problem);
      entry.resume();
    };
    if (found.manifest === null) return abort("no valid manifest.json");
    if (rel === MANIFEST_NAME) return refuse("manifest.json: archived twice");
    const unsafe = unsafePathReason(rel);
    if (unsafe !== null) return refuse(`${name}: ${unsafe}`);
    if (!isDir && entry.type !== "File")
      return refuse(`${name}: ${entry.type} entry refused (regular files and folders only)`);
    if (((entry.mode ?? 0) & 0o7000) !== 0)
      return refuse(`${name}: mode ${(entry.mode ?? 0).toString(8)} has setuid, setgid or sticky bits`);
    if (isDir) {
      if (!dirs.has(rel)) return refuse(`${name}: folder holding no file of the manifest`);
      if (seenDirs.has(rel)) return refuse(`${name}: folder archived twice`);
      seenDirs.add(rel);
      entry.resume();
      if (sink !== undefined)
        pending.push(sink.directory(rel).catch((err: unknown) => void stop(messageOf(err))));
      return;
    }
    const f = listed.get(rel);
    if (f === undefined) return refuse(`${rel}: not in the manifest`);
    if (seen.has(rel)) return refuse(`${rel}: archived twice`);
    seen.add(rel);
    if (entry.size !== f.size) return refuse(`${rel}: ${entry.size} bytes, manifest says ${f.size}`);
    entry.pause();
    const work = async () => {
      const out = sink === undefined ? null : await sink.file(rel);
      const hash = createHash("sha256");
      try {
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          hash.update(chunk);
          if (out !== null) await out.write(chunk);
        }
      } finally {
        await out?.close();
      }
      if (hash.digest("hex") !== f.sha256) problems.push(`${rel}: sha256 mismatch`);
    };
    pending.push(work().catch((err: unknown) => void stop(`${rel}: ${messageOf(err)}`)));
  });
  let read = 0;
  let sniffed = false;
  try {
    await pipeline(createReadStream(archivePath), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        if (found.fatal !== null) throw found.fatal;
        if (!sniffed) {
          sniffed = true;
          if (chunk[0] === GZIP_MAGIC[0] && chunk[1] === GZIP_MAGIC[1])
            throw stop("compressed twice (nested gzip refused)");
        }
        read += chunk.length;
        if (read > streamCap)
          throw stop(`archive expands past ${streamCap} bytes, more than its manifest allows: stopped there`);
        if (!parser.write(chunk)) await Promise.race([once(parser, "drain"), failure]);
      }
      const ended = once(parser, "end");
      parser.end();
      await Promise.race([ended, failure]);
      await Promise.race([Promise.all(pending), failure]);
    });
  } catch (err) {
    if (found.fatal !== null) throw found.fatal;
    throw new BackupVerifyError(archivePath, [...problems, `unreadable archive: ${messageOf(err)}`]);
  }
  if (found.fatal !== null) throw found.fatal;
  const m = found.manifest;
  if (m === null) throw new BackupVerifyError(archivePath, ["no manifest.json"]);
  for (const f of m.files) if (!seen.has(f.path)) problems.push(`${f.path}: missing`);
  if (problems.length > 0) throw new BackupVerifyError(archivePath, problems);
  return m;
}

/** `backup verify`: reads the archive with every check of restore (readArchive) and writes nothing. */
export function verifyArchive(
  archivePath: string,
  limits: ArchiveLimits = ARCHIVE_LIMITS,
): Promise<BackupManifest> {
  return readArchive(archivePath, limits);
}

/** Converts a manifest POSIX path to a local path under `root`; refuses any path unsafePathReason refuses. */
export function safeJoin(root: string, rel: string): string {
  const why = unsafePathReason(rel);
  if (why !== null || rel.split("/").some((p) => p.includes(sep)))
    throw new Error(`unsafe path in archive: ${JSON.stringify(rel)}`);
  return join(root, ...rel.split("/"));
}
