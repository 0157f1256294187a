import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";

/**
 * One file on disk, loaded into a value and kept current.
 *
 * Expected flow: `start()` loads the file if it exists; afterwards every
 * fs.watch event on the parent directory (debounced) and every stat poll
 * (the fallback for filesystems where inotify misses changes, such as some
 * network volumes and Kubernetes' Secret symlink swaps) compares the file's
 * signature (inode, size, mtime); on a change the bytes are read and hashed,
 * and if the hash differs the new value is loaded and swapped in.
 *
 * Guarantees: readers see the old value or the new one, never a partial one
 * (the swap is one assignment). A file that fails to load is reported through
 * `onFailure` and the last good value keeps serving. Loads never overlap;
 * a change seen during a load triggers one more check after it. A replaced
 * value is disposed once no lease on it is outstanding.
 *
 * Assumptions: writers replace files by rename (temp + fsync + rename) or at
 * least finish writing within the debounce window; a torn read is caught by
 * the loader's validation and retried on the next change.
 */

export interface Loaded<T> {
  readonly value: T;
  readonly sha256: string;
  readonly loadedAt: Date;
  /** The file's mtime when it was read (ms since the epoch). */
  readonly mtimeMs: number;
}

export interface Lease<T> {
  readonly loaded: Loaded<T>;
  release(): void;
}

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

export interface WatchedFileOptions<T> {
  readonly path: string;
  readonly load: (bytes: Uint8Array) => Promise<T>;
  /** Refuse a file larger than this, by its size, before reading it. @default MAX_WATCHED_FILE_BYTES */
  readonly maxBytes?: number;
  /** The limit's name in the error. @default "MAX_WATCHED_FILE_BYTES" */
  readonly maxBytesName?: string;
  readonly pollMs: number;
  readonly debounceMs?: number;
  readonly dispose?: (value: T) => void;
  readonly onSwap?: (next: Loaded<T>, previous: Loaded<T> | null) => void;
  /** `sha256` is null when the file was refused unread (over `maxBytes`). */
  readonly onFailure?: (err: unknown, sha256: string | null) => void;
  readonly onMissing?: () => void;
}

interface Slot<T> {
  readonly loaded: Loaded<T>;
  leases: number;
  retired: boolean;
}

export class WatchedFile<T> {
  #slot: Slot<T> | null = null;
  #signature: string | null = null;
  #failedSha: string | null = null;
  #loading: Promise<void> | null = null;
  #again = false;
  #watcher: FSWatcher | null = null;
  #poll: NodeJS.Timeout | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #stopped = false;
  #missingReported = false;

  constructor(readonly options: WatchedFileOptions<T>) {}

  get path(): string {
    return this.options.path;
  }

  /** The value being served, or null before the first good load. */
  get current(): Loaded<T> | null {
    return this.#slot?.loaded ?? null;
  }

  /** Holds the current value alive across awaits; release() when done. */
  acquire(): Lease<T> | null {
    const slot = this.#slot;
    if (slot === null) return null;
    slot.leases++;
    let released = false;
    return {
      loaded: slot.loaded,
      release: () => {
        if (released) return;
        released = true;
        slot.leases--;
        this.#maybeDispose(slot);
      },
    };
  }

  async start(): Promise<void> {
    await this.check();
    this.#startWatcher();
    this.#poll = setInterval(() => void this.check(), this.options.pollMs);
    this.#poll.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#poll !== null) clearInterval(this.#poll);
    if (this.#debounce !== null) clearTimeout(this.#debounce);
  }

  /** Stops watching and disposes the value (when no lease holds it). */
  close(): void {
    this.stop();
    const slot = this.#slot;
    this.#slot = null;
    if (slot !== null) {
      slot.retired = true;
      this.#maybeDispose(slot);
    }
  }

  /** Checks the file now; resolves when any resulting load has finished. */
  check(): Promise<void> {
    if (this.#loading !== null) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = this.#checkOnce()
      .catch(() => undefined)
      .finally(() => {
        this.#loading = null;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          void this.check();
        }
      });
    return this.#loading;
  }

  async #checkOnce(): Promise<void> {
    if (this.#watcher === null && this.#poll !== null && !this.#stopped) this.#startWatcher();
    let signature: string;
    let mtimeMs: number;
    let size: number;
    try {
      const st = await stat(this.path);
      signature = `${st.ino}:${st.size}:${st.mtimeMs}`;
      mtimeMs = st.mtimeMs;
      size = st.size;
    } catch {
      if (!this.#missingReported) {
        this.#missingReported = true;
        this.options.onMissing?.();
      }
      this.#signature = null;
      return;
    }
    this.#missingReported = false;
    if (signature === this.#signature) return;
    const maxBytes = this.options.maxBytes ?? MAX_WATCHED_FILE_BYTES;
    if (size > maxBytes) {
      this.#signature = signature; // reported once per version of the file
      const name = this.options.maxBytesName ?? "MAX_WATCHED_FILE_BYTES";
      this.options.onFailure?.(new FileTooLargeError(this.path, size, maxBytes, name), null);
      return;
    }
    const bytes = new Uint8Array(await readFile(this.path));
    this.#signature = signature;
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    if (sha256 === this.#slot?.loaded.sha256 || sha256 === this.#failedSha) return;
    let value: T;
    try {
      value = await this.options.load(bytes);
    } catch (err) {
      this.#failedSha = sha256;
      this.options.onFailure?.(err, sha256);
      return;
    }
    this.#failedSha = null;
    if (this.#stopped) {
      this.options.dispose?.(value);
      return;
    }
    const previous = this.#slot;
    const next: Slot<T> = {
      loaded: { value, sha256, loadedAt: new Date(), mtimeMs },
      leases: 0,
      retired: false,
    };
    this.#slot = next;
    this.options.onSwap?.(next.loaded, previous?.loaded ?? null);
    if (previous !== null) {
      previous.retired = true;
      this.#maybeDispose(previous);
    }
  }

  #maybeDispose(slot: Slot<T>): void {
    if (!slot.retired || slot.leases > 0) return;
    // Handlers use values synchronously; a macrotask later no unleased user can hold it.
    setImmediate(() => this.options.dispose?.(slot.loaded.value));
  }

  #startWatcher(): void {
    const name = basename(this.path);
    try {
      this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === null || file === name || file.startsWith(`.${name}`) || file === "..data")
          this.#schedule();
      });
      this.#watcher.on("error", () => {
        this.#watcher?.close();
        this.#watcher = null;
      });
    } catch {
      this.#watcher = null; // directory missing: the poll retries
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    if (this.#debounce !== null) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      void this.check();
    }, this.options.debounceMs ?? 50);
    this.#debounce.unref();
  }
}
