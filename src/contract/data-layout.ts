/**
 * The data volume's layout: where the volumes are mounted in the containers
 * the operator creates, and every folder and file the pipeline, the backup,
 * the restore and the scorer write or read on it, relative to its root
 * (design §7). POSIX paths; join them to a data dir with `node:path`.
 */

/** Where the data volume is mounted in every container. */
export const DATA_MOUNT = "/data";
/** Where the backups volume is mounted in the backup container. */
export const BACKUPS_MOUNT = "/backups";

/** Folders of the data volume. */
export const DATA_DIRS = {
  models: "models",
  expected: "expected",
  history: "expected/history",
  reports: "reports",
  prices: "prices",
  runs: "runs",
} as const;

/** The model file the scorer and the pipeline load unless told otherwise. */
export const DEFAULT_MODEL_PATH = `${DATA_DIRS.models}/model.txt`;

/** The expected panel being served (written last by the pipeline). */
export const EXPECTED_LATEST = `${DATA_DIRS.expected}/expected_latest.parquet`;
/** The ticker × feature frame of the scored date. */
export const FEATURES_LATEST = `${DATA_DIRS.expected}/features_latest.parquet`;
/** The dated copy of each day's expected panel. */
export const historyPath = (date: string): string => `${DATA_DIRS.history}/${date}.parquet`;
/** The daily HTML report. */
export const reportPath = (date: string): string => `${DATA_DIRS.reports}/${date}/index.html`;

/** Run summaries (the scorer exports `maie_*_last_success_timestamp` from them). */
export const PIPELINE_SUMMARY = `${DATA_DIRS.runs}/pipeline-last.json`;
export const BACKUP_SUMMARY = `${DATA_DIRS.runs}/backup-last.json`;

/** The data-volume folders a backup holds and a restore puts back. */
export const BACKUP_ROOTS = [DATA_DIRS.models, DATA_DIRS.expected, DATA_DIRS.reports] as const;

/**
 * Where the expected panel and its features live: on the data volume (the
 * default, one node or ReadWriteMany), or published through the object store
 * (`spec.objectStore` set), where scorers follow a pointer and need no volume.
 */
export const PANEL_STORES = ["data-volume", "object-store"] as const;
export type PanelStore = (typeof PANEL_STORES)[number];
export const DEFAULT_PANEL_STORE: PanelStore = "data-volume";
