import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
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
import { create, list } from "tar";
import { BACKUP_ROOTS, EXPECTED_LATEST } from "../contract/data-layout.js";
import { decodeExpectedPanel } from "../panel/index.js";
import { naming } from "../util/atomic-write.js";
import { BackupVerifyError, MANIFEST_NAME, type BackupManifest, type ManifestFile } from "./manifest.js";

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

/**
 * Re-reads an archive end to end: the manifest must come first, every file
 * it lists must be present once with the same size and SHA-256, and nothing
 * else may be in the archive. Returns the manifest; throws BackupVerifyError.
 */
export async function verifyArchive(archivePath: string): Promise<BackupManifest> {
  let manifestText = "";
  const seen = new Map<string, { size: number; sha256: string }>();
  const hashing: Promise<void>[] = [];
  const problems: string[] = [];
  let first = true;
  try {
    await list({
      file: archivePath,
      strict: true,
      onReadEntry: (entry) => {
        const path = entry.path.replace(/\/$/, "");
        const isFirst = first;
        first = false;
        if (entry.type === "Directory") {
          entry.resume();
          return;
        }
        const hash = createHash("sha256");
        const chunks: Buffer[] = [];
        let size = 0;
        hashing.push(
          new Promise<void>((resolve, reject) => {
            entry.on("data", (c: Buffer) => {
              hash.update(c);
              size += c.length;
              if (path === MANIFEST_NAME) chunks.push(c);
            });
            entry.on("end", () => {
              if (path === MANIFEST_NAME) {
                if (!isFirst) problems.push("manifest.json is not the first entry");
                manifestText = Buffer.concat(chunks).toString("utf8");
              } else {
                if (seen.has(path)) problems.push(`${path}: archived twice`);
                seen.set(path, { size, sha256: hash.digest("hex") });
              }
              resolve();
            });
            entry.on("error", reject);
          }),
        );
      },
    });
    await Promise.all(hashing);
  } catch (err) {
    throw new BackupVerifyError(archivePath, [
      `unreadable archive: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
  if (manifestText === "") throw new BackupVerifyError(archivePath, ["no manifest.json"]);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(manifestText) as BackupManifest;
  } catch {
    throw new BackupVerifyError(archivePath, ["manifest.json is not JSON"]);
  }
  for (const f of manifest.files) {
    const got = seen.get(f.path);
    if (got === undefined) problems.push(`${f.path}: missing`);
    else if (got.size !== f.size) problems.push(`${f.path}: ${got.size} bytes, manifest says ${f.size}`);
    else if (got.sha256 !== f.sha256) problems.push(`${f.path}: sha256 mismatch`);
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const path of seen.keys()) if (!listed.has(path)) problems.push(`${path}: not in the manifest`);
  if (problems.length > 0) throw new BackupVerifyError(archivePath, problems);
  return manifest;
}

/** Converts a manifest POSIX path to a safe local path under `root`; rejects `..` and absolute paths. */
export function safeJoin(root: string, rel: string): string {
  const parts = rel.split("/");
  if (rel.startsWith("/") || parts.some((p) => p === ".." || p === "" || p.includes(sep)))
    throw new Error(`unsafe path in archive: ${rel}`);
  return join(root, ...parts);
}
