/**
 * One object store, as the scorer, the pipeline and backups use it: the
 * client built once from a config, and each operation of this folder bound
 * to it. Relative addresses live under the configured bucket and prefix.
 */
import type { Readable } from "node:stream";
import { createS3Client, DEFAULT_TUNING, type ClientTuning } from "./client.js";
import { endpointLabel, type ObjectStoreConfig } from "./config.js";
import { download, type DownloadOptions, type DownloadResult } from "./download.js";
import {
  abortIncompleteUploads,
  listIncompleteUploads,
  type IncompleteUpload,
} from "./incomplete-uploads.js";
import { list, newestUnder, type ListedRef } from "./list.js";
import type { StoreContext } from "./operation.js";
import { getIfChanged, head, type GetOptions, type GetResult, type ObjectInfo } from "./read.js";
import { remove } from "./remove.js";
import { upload, type UploadOptions, type UploadResult } from "./upload.js";
import { formatS3Uri, resolveAddress, type ObjectAddress, type ObjectRef } from "./uri.js";

export class ObjectStore {
  readonly #ctx: StoreContext;

  constructor(
    readonly config: ObjectStoreConfig,
    tuning: Partial<ClientTuning> = {},
  ) {
    const full = { ...DEFAULT_TUNING, ...tuning };
    this.#ctx = { client: createS3Client(config, full), config, tuning: full };
  }

  /** Where requests go, for logs and messages. */
  get endpoint(): string {
    return endpointLabel(this.config);
  }

  /** The address as a ref (relative keys under the configured prefix); throws on a malformed one. */
  ref(address: ObjectAddress): ObjectRef {
    return resolveAddress(address, this.config);
  }

  uri(address: ObjectAddress): string {
    return formatS3Uri(this.ref(address));
  }

  head(address: ObjectAddress): Promise<ObjectInfo | undefined> {
    return head(this.#ctx, address);
  }

  getIfChanged(address: ObjectAddress, options?: GetOptions): Promise<GetResult> {
    return getIfChanged(this.#ctx, address, options);
  }

  list(prefix: ObjectAddress): Promise<ListedRef[]> {
    return list(this.#ctx, prefix);
  }

  newestUnder(prefix: ObjectAddress, suffixes: readonly string[] = []): Promise<ListedRef | undefined> {
    return newestUnder(this.#ctx, prefix, suffixes);
  }

  /** The object into a new local file (`path` must not exist), bounded by `options.maxBytes`. */
  download(address: ObjectAddress, path: string, options: DownloadOptions): Promise<DownloadResult> {
    return download(this.#ctx, address, path, options);
  }

  upload(
    address: ObjectAddress,
    body: Uint8Array | Readable,
    options?: UploadOptions,
  ): Promise<UploadResult> {
    return upload(this.#ctx, address, body, options);
  }

  delete(address: ObjectAddress): Promise<void> {
    return remove(this.#ctx, address);
  }

  listIncompleteUploads(prefix: ObjectAddress): Promise<IncompleteUpload[]> {
    return listIncompleteUploads(this.#ctx, prefix);
  }

  abortIncompleteUploads(prefix: ObjectAddress, startedBefore: Date): Promise<IncompleteUpload[]> {
    return abortIncompleteUploads(this.#ctx, prefix, startedBefore);
  }

  /** Closes pooled connections (a process that exits need not call it). */
  close(): void {
    this.#ctx.client.destroy();
  }
}
