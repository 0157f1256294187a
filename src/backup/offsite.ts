/**
 * Off-site copies of backup archives in the object store (issue #17): each
 * verified archive is uploaded to `backups/<archive>` under the configured
 * prefix (src/contract/object-layout.ts), the bucket keeps the same
 * retention as the backups volume, and an archive read back from the bucket
 * goes through the same checks as a local one.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { backupKey, OBJECT_DIRS } from "../contract/object-layout.js";
import { formatS3Uri, type ObjectRef, type ObjectStore } from "../objectstore/index.js";
import { archiveBytesLimit, verifyArchive } from "./archive.js";
import {
  ARCHIVE_LIMITS,
  archiveTime,
  BackupVerifyError,
  type ArchiveLimits,
  type BackupManifest,
} from "./manifest.js";

/** What a backup run records about the off-site copy of its archive. */
export interface UploadedArchive {
  readonly uri: string;
  readonly etag: string;
  readonly versionId?: string;
  readonly size: number;
  readonly sha256: string;
}

/** One archive in the bucket. */
export interface BucketArchive {
  readonly name: string;
  readonly ref: ObjectRef;
  readonly uri: string;
  readonly createdAt: Date;
  readonly size: number;
}

/** SHA-256 (hex) of a file, streamed (an archive may be far larger than memory). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/**
 * Uploads the archive at `path` (multipart above the store's threshold, a
 * SHA-256 per request that the store checks) and confirms what was sent is
 * the archive that was verified (`sha256`) and that the store holds all of
 * it. A failed multipart upload is aborted by the store client, so no
 * partial object is ever visible under the key.
 */
export async function uploadArchive(
  store: ObjectStore,
  path: string,
  name: string,
  sha256: string,
): Promise<UploadedArchive> {
  const key = backupKey(name);
  const uri = store.uri(key);
  const sent = await store.upload(key, createReadStream(path), { contentType: "application/gzip" });
  if (sent.sha256 !== sha256) {
    await store.delete(key).catch(() => undefined);
    throw new Error(
      `${uri}: the bytes uploaded have sha256 ${sent.sha256} but the verified archive has ${sha256} (the file changed while it was read); the object was deleted`,
    );
  }
  const held = await store.head(key);
  if (held?.size !== sent.size)
    throw new Error(`${uri}: the store holds ${held?.size ?? "no"} bytes after uploading ${sent.size}`);
  return {
    uri,
    etag: sent.etag,
    ...(sent.versionId === undefined ? {} : { versionId: sent.versionId }),
    size: sent.size,
    sha256,
  };
}

/** Archives in the bucket's `backups/` folder, oldest first (by the time in their names); other keys are ignored. */
export async function listBucketArchives(store: ObjectStore): Promise<BucketArchive[]> {
  const folder = store.ref(OBJECT_DIRS.backups).key;
  const found: BucketArchive[] = [];
  for (const o of await store.list(OBJECT_DIRS.backups)) {
    const name = o.key.slice(folder.length);
    const createdAt = name.includes("/") ? null : archiveTime(name);
    if (createdAt !== null)
      found.push({ name, ref: o.ref, uri: formatS3Uri(o.ref), createdAt, size: o.size });
  }
  return found.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** Where `latest`, `s3://…` or a key relative to the configured prefix points in the bucket. */
export async function resolveBucketArchive(store: ObjectStore, which: string): Promise<ObjectRef> {
  if (which !== "latest") return store.ref(which);
  const newest = (await listBucketArchives(store)).at(-1);
  if (newest === undefined) throw new Error(`no backup archive under ${store.uri(OBJECT_DIRS.backups)}`);
  return newest.ref;
}

/** Names a problem found in a downloaded archive by where it came from, not the temp file it was read from. */
function fromObject(uri: string, err: unknown): unknown {
  return err instanceof BackupVerifyError ? new BackupVerifyError(uri, err.problems) : err;
}

/**
 * Downloads an archive into a fresh folder under `parent` (bounded by what
 * `limits` can hold: archiveBytesLimit), runs `use` on the local copy, and
 * removes the folder whatever happens. The folder name starts with
 * `folderPrefix` so a later run can sweep what a killed one left.
 */
export async function withDownloadedArchive<T>(
  store: ObjectStore,
  ref: ObjectRef,
  options: { readonly parent: string; readonly folderPrefix: string; readonly limits: ArchiveLimits },
  use: (path: string, uri: string, sha256: string) => Promise<T>,
): Promise<T> {
  const uri = formatS3Uri(ref);
  const folder = await mkdtemp(join(options.parent, options.folderPrefix));
  try {
    const path = join(folder, "archive.tar.gz");
    const got = await store.download(ref, path, {
      maxBytes: archiveBytesLimit(options.limits),
      maxBytesName: "the archive size ARCHIVE_LIMITS allows",
    });
    return await use(path, uri, got.sha256).catch((err: unknown) => {
      throw fromObject(uri, err);
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Removes folders named `<prefix>*` in `dir`: downloads a killed run left behind. */
export async function sweepDownloads(dir: string, prefix: string): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix));
  for (const n of names) await rm(join(dir, n), { recursive: true, force: true });
  return names;
}

export interface VerifiedObject {
  readonly uri: string;
  readonly sha256: string;
  readonly manifest: BackupManifest;
}

/**
 * `maie backup verify --from`: re-downloads the archive into a temp folder
 * (under `tmpRoot`, default the OS temp dir) and reads it with every check
 * restore makes, writing nothing else.
 */
export function verifyBucketArchive(
  store: ObjectStore,
  ref: ObjectRef,
  options: { readonly tmpRoot?: string; readonly limits?: ArchiveLimits } = {},
): Promise<VerifiedObject> {
  const limits = options.limits ?? ARCHIVE_LIMITS;
  return withDownloadedArchive(
    store,
    ref,
    { parent: options.tmpRoot ?? tmpdir(), folderPrefix: "maie-verify-", limits },
    async (path, uri, sha256) => ({ uri, sha256, manifest: await verifyArchive(path, limits) }),
  );
}
