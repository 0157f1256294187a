import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { Watched, type ByteSource, type SourceBytes, type WatchedOptions } from "./watched.js";

export type { Lease, Loaded } from "./watched.js";

/**
 * One file on disk, loaded into a value and kept current (see `Watched`).
 *
 * Every fs.watch event on the parent directory (debounced) and every stat
 * poll (the fallback for filesystems where inotify misses changes, such as
 * some network volumes and Kubernetes' Secret symlink swaps) compares the
 * file's signature (inode, size, mtime); on a change the bytes are read, and
 * a new value is loaded only when their hash differs.
 *
 * Assumptions: writers replace files by rename (temp + fsync + rename) or at
 * least finish writing within the debounce window; a torn read is caught by
 * the loader's validation and retried on the next change.
 */

/**
 * Largest watched file read when the caller names no limit (the expected and
 * features panels): 512 MiB. A larger file is refused by its `stat` size,
 * before a byte is read; the last good value keeps serving.
 */
export const MAX_WATCHED_FILE_BYTES = 512 * 1024 * 1024;

/** A watched file larger than its limit (`onFailure` gets it; nothing was read). */
export class FileTooLargeError extends Error {
  override readonly name = "FileTooLargeError";
  constructor(
    readonly path: string,
    readonly size: number,
    readonly limit: number,
    readonly limitName: string,
  ) {
    super(`${path} is ${size} bytes, over ${limitName} (${limit}): not read`);
  }
}

export interface WatchedFileOptions<T> extends WatchedOptions<T> {
  readonly path: string;
  /** Refuse a file larger than this, by its size, before reading it. @default MAX_WATCHED_FILE_BYTES */
  readonly maxBytes?: number;
  /** The limit's name in the error. @default "MAX_WATCHED_FILE_BYTES" */
  readonly maxBytesName?: string;
}

export class WatchedFile<T> extends Watched<T> {
  constructor(options: WatchedFileOptions<T>) {
    super(new FileSource(options), options);
  }
}

/** A file's bytes, read again only when its signature (inode, size, mtime) changes. */
class FileSource implements ByteSource {
  #signature: string | null = null;
  #watcher: FSWatcher | null = null;

  constructor(
    private readonly options: Pick<WatchedFileOptions<never>, "path" | "maxBytes" | "maxBytesName">,
  ) {}

  get label(): string {
    return this.options.path;
  }

  async read(): Promise<SourceBytes | "unchanged" | "missing"> {
    let st;
    try {
      st = await stat(this.label);
    } catch {
      this.#signature = null;
      return "missing";
    }
    const signature = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (signature === this.#signature) return "unchanged";
    const maxBytes = this.options.maxBytes ?? MAX_WATCHED_FILE_BYTES;
    if (st.size > maxBytes) {
      this.#signature = signature; // reported once per version of the file
      throw new FileTooLargeError(
        this.label,
        st.size,
        maxBytes,
        this.options.maxBytesName ?? "MAX_WATCHED_FILE_BYTES",
      );
    }
    const bytes = new Uint8Array(await readFile(this.label));
    this.#signature = signature;
    return { bytes, mtimeMs: st.mtimeMs };
  }

  watch(changed: () => void): void {
    if (this.#watcher !== null) return;
    const name = basename(this.label);
    try {
      this.#watcher = watch(dirname(this.label), { persistent: false }, (_event, file) => {
        if (file === null || file === name || file.startsWith(`.${name}`) || file === "..data") changed();
      });
      this.#watcher.on("error", () => this.unwatch());
    } catch {
      this.#watcher = null; // directory missing: armed again at the next read
    }
  }

  unwatch(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }
}
