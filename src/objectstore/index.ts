/**
 * S3 and S3-compatible object storage (issue #17): config from the
 * environment, s3:// addresses, bounded and verified reads, checksummed
 * uploads, and one typed error whose message says what to do next.
 */
export { DEFAULT_TUNING, type ClientTuning } from "./client.js";
export {
  DEFAULT_REGION,
  endpointLabel,
  parseObjectStoreEnv,
  requireObjectStoreEnv,
  type Credentials,
  type ObjectStoreConfig,
} from "./config.js";
export type { DownloadOptions, DownloadResult } from "./download.js";
export { ObjectStoreError, type ObjectStoreErrorKind } from "./errors.js";
export { fullObjectSha256, isSha256Hex, sha256Hex } from "./bounded-read.js";
export type { IncompleteUpload } from "./incomplete-uploads.js";
export { MAX_LISTED_OBJECTS, type ListedRef } from "./list.js";
export { pickNewest, type ListedObject } from "./newest.js";
export { MAX_OBJECT_BYTES, type GetOptions, type GetResult, type ObjectInfo } from "./read.js";
export { ObjectStore } from "./store.js";
export {
  MULTIPART_THRESHOLD_BYTES,
  PART_SIZE_BYTES,
  UPLOAD_QUEUE_SIZE,
  type UploadOptions,
  type UploadResult,
} from "./upload.js";
export {
  formatS3Uri,
  isBucketName,
  normalizePrefix,
  parseS3Uri,
  resolveAddress,
  resolveKey,
  type ObjectAddress,
  type ObjectRef,
} from "./uri.js";
