/** Backups of models/, expected/ and reports/ with SHA-256 manifests; verification and byte-identical restore. */
export {
  archiveBytesLimit,
  listDataFiles,
  readArchive,
  verifyArchive,
  writeArchive,
  type ArchiveSink,
} from "./archive.js";
export {
  ARCHIVE_LIMITS,
  DIR_MODE,
  FILE_MODE_MASK,
  manifestSchema,
  parseManifest,
  unsafePathReason,
  type ArchiveLimits,
  archiveName,
  archiveTime,
  BackupVerifyError,
  MANIFEST_NAME,
  type BackupManifest,
  type ManifestFile,
} from "./manifest.js";
export {
  listBucketArchives,
  resolveBucketArchive,
  sha256File,
  uploadArchive,
  verifyBucketArchive,
  type BucketArchive,
  type UploadedArchive,
  type VerifiedObject,
} from "./offsite.js";
export {
  describeSource,
  resolveRestoreSource,
  restoreFromStore,
  type ArchiveSource,
} from "./restore-source.js";
export {
  archivesToPrune,
  listArchives,
  newerDataReasons,
  reportsToPrune,
  resolveArchive,
  RestoreRefusedError,
  runBackup,
  runRestore,
  type ArchiveInfo,
  type BackupOptions,
  type BackupSummary,
  type RestoreOptions,
  type RestoreResult,
} from "./run.js";
