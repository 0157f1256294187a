/**
 * Where MAIE keeps things in the object store: keys relative to the
 * configured prefix (`spec.objectStore.prefix`, MAIE_OBJECT_STORE_PREFIX),
 * the bucket-side counterpart of data-layout.ts.
 */
import { DATA_DIRS, historyPath } from "./data-layout.js";

/** "Folders" of the bucket, each ending in '/' so a listing never matches a sibling (`backups-old/`). */
export const OBJECT_DIRS = {
  backups: "backups/",
} as const;

/** The off-site copy of one backup archive: `backups/maie-backup-<UTC time>.tar.gz`. */
export const backupKey = (archive: string): string => `${OBJECT_DIRS.backups}${archive}`;

/**
 * The object-store layout of published panels: keys relative to the store's
 * prefix (`spec.objectStore.prefix`). The panel and features objects are
 * named by their content, so a publish never overwrites an object the
 * current pointer names; the pointer is written last, in one PUT, so a
 * reader sees the previous day or the new one, never a half-published day.
 */
export const STORE_KEYS = {
  /** The pointer: which panel and features objects are current (src/panel/pointer.ts). */
  pointer: `${DATA_DIRS.expected}/latest.json`,
  panels: `${DATA_DIRS.expected}/panels`,
  features: `${DATA_DIRS.expected}/features`,
  reports: `${DATA_DIRS.expected}/reports`,
} as const;
export const storePanelKey = (asOf: string, sha256: string): string =>
  `${STORE_KEYS.panels}/${asOf}-${sha256}.parquet`;
export const storeFeaturesKey = (asOf: string, sha256: string): string =>
  `${STORE_KEYS.features}/${asOf}-${sha256}.parquet`;
/** The dated history copy: the same relative key as on the data volume. */
export const storeHistoryKey = historyPath;
export const storeReportKey = (asOf: string): string => `${STORE_KEYS.reports}/${asOf}/index.html`;
