/**
 * Where MAIE keeps things in the object store: keys relative to the
 * configured prefix (`spec.objectStore.prefix`, MAIE_OBJECT_STORE_PREFIX),
 * the bucket-side counterpart of data-layout.ts.
 */

/** "Folders" of the bucket, each ending in '/' so a listing never matches a sibling (`backups-old/`). */
export const OBJECT_DIRS = {
  backups: "backups/",
} as const;

/** The off-site copy of one backup archive: `backups/maie-backup-<UTC time>.tar.gz`. */
export const backupKey = (archive: string): string => `${OBJECT_DIRS.backups}${archive}`;
