import { createHash } from "node:crypto";
import type { RegistryVersion } from "../model-source/registry-uri.js";

/**
 * A value loaded from bytes and kept current: the part of hot reloading that
 * does not care where the bytes come from (a file on the data volume, an
 * object fetched from a URI). A `ByteSource` says whether the bytes may have
 * changed; this class hashes them, loads a new value only for new content,
 * and swaps it in.
 *
 * Guarantees: readers see the old value or the new one, never a partial one
 * (the swap is one assignment). Bytes that fail to load, or a source that
 * fails to read, are reported through `onFailure` and the last good value
 * keeps serving. Loads never overlap; a change seen during a load triggers
 * one more check after it. A replaced value is disposed once no lease on it
 * is outstanding.
 */

export interface Loaded<T> {
  readonly value: T;
  readonly sha256: string;
  readonly loadedAt: Date;
  /** The source's modification time when it was read (ms since the epoch). */
  readonly mtimeMs: number;
  /** Where the bytes came from, as the source names them (an ETag, a version). */
  readonly origin?: SourceOrigin;
}

export interface SourceOrigin {
  readonly etag?: string;
  readonly versionId?: string;
  /** The registered version a models:/ URI resolved to. */
  readonly registry?: RegistryVersion;
}

export interface Lease<T> {
  readonly loaded: Loaded<T>;
  release(): void;
}

/** What a source read: the bytes, and what it knows of them. */
export interface SourceBytes {
  readonly bytes: Uint8Array;
  readonly mtimeMs: number;
  /** When the source already hashed the bytes (hex); computed here otherwise. */
  readonly sha256?: string;
  readonly origin?: SourceOrigin;
}

export interface ByteSource {
  /** The path or URI, for logs and /ready. */
  readonly label: string;
  /**
   * The bytes when they may have changed since the last read, "unchanged"
   * when the source knows they have not, "missing" when there is nothing to
   * read. Throws when the source cannot be read; `onFailure` gets the error.
   */
  read(): Promise<SourceBytes | "unchanged" | "missing">;
  /**
   * Calls `changed` on a hint of change (fs.watch). Called at start and
   * before every read, so a source whose watch failed (a folder not yet
   * there) arms it again; a no-op when already watching.
   */
  watch?(changed: () => void): void;
  /** Stops `watch`. */
  unwatch?(): void;
}

export interface WatchedOptions<T> {
  readonly load: (bytes: Uint8Array) => Promise<T>;
  readonly pollMs: number;
  readonly debounceMs?: number;
  readonly dispose?: (value: T) => void;
  readonly onSwap?: (next: Loaded<T>, previous: Loaded<T> | null) => void;
  /**
   * `sha256` is null when nothing was loaded (the source failed, or refused the bytes unread); `origin` is
   * what the source said of bytes that did not load.
   */
  readonly onFailure?: (err: unknown, sha256: string | null, origin?: SourceOrigin) => void;
  readonly onMissing?: () => void;
  /**
   * The source delivered the bytes being served again: it is readable and
   * current, so an earlier `onFailure` no longer holds (a store that came
   * back, a pointer set back to the served panel).
   */
  readonly onCurrent?: () => void;
}

interface Slot<T> {
  readonly loaded: Loaded<T>;
  leases: number;
  retired: boolean;
}

export class Watched<T> {
  #slot: Slot<T> | null = null;
  #failedSha: string | null = null;
  #loading: Promise<void> | null = null;
  #again = false;
  #poll: NodeJS.Timeout | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #stopped = false;
  #missingReported = false;

  constructor(
    readonly source: ByteSource,
    readonly options: WatchedOptions<T>,
  ) {}

  /** The file path or URI the value comes from. */
  get path(): string {
    return this.source.label;
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
    this.#startWatch();
    this.#poll = setInterval(() => void this.check(), this.options.pollMs);
    this.#poll.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.source.unwatch?.();
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

  /** Checks the source now; resolves when any resulting load has finished. */
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
    if (this.#poll !== null && !this.#stopped) this.#startWatch();
    let got: SourceBytes | "unchanged" | "missing";
    try {
      got = await this.source.read();
    } catch (err) {
      this.options.onFailure?.(err, null);
      return;
    }
    if (got === "missing") {
      if (!this.#missingReported) {
        this.#missingReported = true;
        this.options.onMissing?.();
      }
      return;
    }
    this.#missingReported = false;
    if (got === "unchanged") {
      // Readable again and still the bytes being served: an earlier read failure (a store that was down) is over.
      if (this.#slot !== null && this.#failedSha === null) this.options.onCurrent?.();
      return;
    }
    const sha256 = got.sha256 ?? createHash("sha256").update(got.bytes).digest("hex");
    if (sha256 === this.#slot?.loaded.sha256) {
      this.options.onCurrent?.();
      return;
    }
    if (sha256 === this.#failedSha) return;
    let value: T;
    try {
      value = await this.options.load(got.bytes);
    } catch (err) {
      this.#failedSha = sha256;
      this.options.onFailure?.(err, sha256, got.origin);
      return;
    }
    this.#failedSha = null;
    if (this.#stopped) {
      this.options.dispose?.(value);
      return;
    }
    const previous = this.#slot;
    const next: Slot<T> = {
      loaded: {
        value,
        sha256,
        loadedAt: new Date(),
        mtimeMs: got.mtimeMs,
        ...(got.origin !== undefined && { origin: got.origin }),
      },
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

  #startWatch(): void {
    this.source.watch?.(() => this.#schedule());
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
