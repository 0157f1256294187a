import { STORE_KEYS } from "../contract/object-layout.js";
import type { PanelPointer, PointedObject } from "../panel/pointer.js";
import { readPointed, readPointer } from "../panel-store/read.js";
import type { PanelObjectStore } from "../panel-store/store.js";
import type { ByteSource, SourceBytes } from "./watched.js";

/**
 * Panels published through the object store, as the scorer follows them:
 * one `PanelPointerFollower` polls the pointer with conditional GETs, and a
 * `PointedSource` per panel (expected, features) is the `ByteSource` a
 * `Watched` loads and swaps. A new pointer wakes both sources, so the two
 * panels of a day swap together rather than one poll apart. Anything that
 * fails (store down, pointer unreadable, a named object missing, of another
 * size or digest) is an error of the read: `Watched` keeps the last good
 * panel serving and reports it.
 */

export interface FollowerOptions {
  readonly store: PanelObjectStore;
  /**
   * A pointer read this recently is reused instead of asked again: both
   * sources poll on the same interval, and one request per interval is
   * enough.
   */
  readonly reuseMs: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export class PanelPointerFollower {
  #etag: string | undefined;
  #pointer: PanelPointer | null = null;
  #readAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<PanelPointer | null> | null = null;
  readonly #listeners = new Set<() => void>();
  readonly #now: () => number;

  constructor(private readonly options: FollowerOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** The pointer's URI, for logs and /ready. */
  get uri(): string {
    return this.options.store.uri(STORE_KEYS.pointer);
  }

  get store(): PanelObjectStore {
    return this.options.store;
  }

  /** The ETag of the pointer held. */
  get etag(): string | undefined {
    return this.#etag;
  }

  /** The published pointer (null: nothing published); throws when the store or the pointer cannot be read. */
  current(): Promise<PanelPointer | null> {
    if (this.#inflight !== null) return this.#inflight;
    if (this.#now() - this.#readAt < this.options.reuseMs) return Promise.resolve(this.#pointer);
    this.#inflight = this.#read().finally(() => (this.#inflight = null));
    return this.#inflight;
  }

  /** `changed` runs whenever a different pointer is read. */
  onChange(changed: () => void): void {
    this.#listeners.add(changed);
  }

  offChange(changed: () => void): void {
    this.#listeners.delete(changed);
  }

  async #read(): Promise<PanelPointer | null> {
    const read = await readPointer(this.options.store, this.#pointer === null ? undefined : this.#etag);
    this.#readAt = this.#now();
    if (read.kind === "not-modified") return this.#pointer;
    const before = this.#pointer;
    if (read.kind === "missing") {
      this.#pointer = null;
      this.#etag = undefined;
    } else {
      this.#pointer = read.pointer;
      this.#etag = read.etag;
    }
    if (!samePanels(before, this.#pointer)) for (const fn of this.#listeners) fn();
    return this.#pointer;
  }
}

function samePanels(a: PanelPointer | null, b: PanelPointer | null): boolean {
  if (a === null || b === null) return a === b;
  return identity(a.expected) === identity(b.expected) && identity(a.features) === identity(b.features);
}

/**
 * What a pointer entry names: key and digest. The same bytes under another
 * key are read again, so a pointer naming a missing object is reported even
 * when the panel it meant is the one being served.
 */
const identity = (entry: PointedObject): string => `${entry.key}@${entry.sha256}`;

export type PanelKind = "expected" | "features";

const WHAT: Record<PanelKind, string> = { expected: "expected panel", features: "features panel" };

/** One panel the pointer names, re-read only when the pointer names other bytes. */
export class PointedSource implements ByteSource {
  /** The entry (`identity`) last handed to `Watched`; null after a failure, so it is handed again once readable. */
  #delivered: string | null = null;
  #watching: (() => void) | null = null;

  constructor(
    private readonly follower: PanelPointerFollower,
    private readonly which: PanelKind,
  ) {}

  get label(): string {
    return this.follower.uri;
  }

  async read(): Promise<SourceBytes | "unchanged" | "missing"> {
    try {
      const pointer = await this.follower.current();
      if (pointer === null) {
        this.#delivered = null;
        return "missing";
      }
      const entry = pointer[this.which];
      if (identity(entry) === this.#delivered) return "unchanged";
      const bytes = await readPointed(this.follower.store, entry, WHAT[this.which]);
      this.#delivered = identity(entry);
      const etag = this.follower.etag;
      return {
        bytes,
        sha256: entry.sha256,
        // The publish time: what the expected panel's age metric and "last pipeline success" read.
        mtimeMs: Date.parse(pointer.published_at),
        ...(etag !== undefined && { origin: { etag } }),
      };
    } catch (err) {
      this.#delivered = null;
      throw err;
    }
  }

  watch(changed: () => void): void {
    if (this.#watching !== null) return;
    this.#watching = changed;
    this.follower.onChange(changed);
  }

  unwatch(): void {
    if (this.#watching !== null) this.follower.offChange(this.#watching);
    this.#watching = null;
  }
}
