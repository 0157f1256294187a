/**
 * Which archive `maie restore --from` means, and restoring one that lives in
 * the object store: downloaded into the data dir being restored (the volume
 * that must hold the data anyway), then restored with every local check.
 */
import { mkdir } from "node:fs/promises";
import { OBJECT_DIRS } from "../contract/object-layout.js";
import { formatS3Uri, type ObjectRef, type ObjectStore } from "../objectstore/index.js";
import { ARCHIVE_LIMITS } from "./manifest.js";
import { listBucketArchives, sweepDownloads, withDownloadedArchive } from "./offsite.js";
import { listArchives, runRestore, type RestoreOptions, type RestoreResult } from "./run.js";

export type ArchiveSource =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "object"; readonly ref: ObjectRef; readonly store: ObjectStore };

export const describeSource = (s: ArchiveSource): string => (s.kind === "file" ? s.path : formatS3Uri(s.ref));

/**
 * `s3://…` is an object (the store's settings must be given); `latest` (or
 * nothing) is the newest archive in `backupsDir` or, with a store, in the
 * bucket, whichever was made later (the local copy on a tie: no download);
 * anything else is a local path.
 */
export async function resolveRestoreSource(
  backupsDir: string,
  which: string | undefined,
  store: ObjectStore | undefined,
): Promise<ArchiveSource> {
  if (which?.startsWith("s3://") === true) {
    if (store === undefined) throw new Error(`restoring ${which} needs the object store's settings`);
    return { kind: "object", ref: store.ref(which), store };
  }
  if (which !== undefined && which !== "latest") return { kind: "file", path: which };
  const local = (await listArchives(backupsDir)).at(-1);
  const remote = store === undefined ? undefined : (await listBucketArchives(store)).at(-1);
  if (
    store !== undefined &&
    remote !== undefined &&
    (local === undefined || remote.createdAt > local.createdAt)
  )
    return { kind: "object", ref: remote.ref, store };
  if (local !== undefined) return { kind: "file", path: local.path };
  const where =
    store === undefined ? backupsDir : `${backupsDir} nor under ${store.uri(OBJECT_DIRS.backups)}`;
  throw new Error(`no backup archive in ${where}`);
}

/** Folders of downloads in the data dir; a killed restore's are swept by the next one. */
const DOWNLOAD_FOLDER = ".restore-download-";

/** `maie restore` from an object: downloaded (bounded by ARCHIVE_LIMITS), restored, the download removed. */
export async function restoreFromStore(
  store: ObjectStore,
  ref: ObjectRef,
  options: Omit<RestoreOptions, "archive" | "label">,
): Promise<RestoreResult> {
  const progress = options.progress ?? (() => undefined);
  await mkdir(options.dataDir, { recursive: true });
  for (const name of await sweepDownloads(options.dataDir, DOWNLOAD_FOLDER))
    progress(`removed ${name}, left by an interrupted restore`);
  const limits = options.limits ?? ARCHIVE_LIMITS;
  return withDownloadedArchive(
    store,
    ref,
    { parent: options.dataDir, folderPrefix: DOWNLOAD_FOLDER, limits },
    (path, uri, sha256) => {
      progress(`downloaded ${uri} (sha256 ${sha256})`);
      return runRestore({ ...options, archive: path, label: uri });
    },
  );
}
