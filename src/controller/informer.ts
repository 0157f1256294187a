import type { Logger } from "pino";
import {
  isGone,
  KubeApiError,
  PARTIAL_METADATA,
  PARTIAL_METADATA_LIST,
  type KubeClient,
} from "../kube/rest.js";
import { resourcePath, type ResourceType } from "../kube/resources.js";
import { objectKey, type KubeList, type KubeObject, type WatchEvent } from "../kube/object.js";
import { realClock, type Clock } from "./clock.js";

/**
 * List-then-watch cache of one resource type, hardened against the failure
 * modes client-node's informer is known for:
 * - 410 Gone (on connect or as an ERROR event) → relist, never a dead loop;
 * - a watch that goes silent (no event, no bookmark) → the idle watchdog
 *   cuts it and the loop resumes from the last resourceVersion;
 * - any other error → reconnect with capped exponential backoff;
 * - the server's own watch timeout → quiet resume from the last version.
 * Handlers see add/update/delete; a relist diffs against the store so
 * deletions missed while disconnected are still delivered.
 */

export interface InformerOptions {
  readonly client: KubeClient;
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Server-side watch timeout; the watch ends cleanly and resumes (default 60-90 s, jittered). */
  readonly watchTimeoutSeconds?: number;
  /** No byte for this long means a stalled watch (default 3 minutes). */
  readonly idleTimeoutMs?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Applied to every object before it is stored or handed to a handler (e.g. dropping what no reconcile reads). */
  readonly transform?: (obj: KubeObject) => KubeObject;
  /** Secondary index: objects with the same key are listed together by `indexed` without a scan. */
  readonly indexKey?: (obj: KubeObject) => string | undefined;
  /** Hold only each object's metadata: the apiserver sends nothing else (PartialObjectMetadata). */
  readonly metadataOnly?: boolean;
}

export type InformerEvent = "add" | "update" | "delete";
export type InformerHandler<T> = (event: InformerEvent, obj: T, old?: T) => void;

/** Read side of an informer, as in client-node's cache.ts: what reconcilers use. */
export interface ObjectCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
  /** The objects whose `indexKey` is `key` (none when the cache has no index). */
  indexed(key: string): T[];
}

/** A cache its owner's own writes go through, so the next read sees them before the watch does. */
export interface WriteThroughCache<T> extends ObjectCache<T> {
  /**
   * `written` is what a write returned; it replaces the cached object only while the cache still holds
   * `basedOn`, the version that write started from (anything newer came from the watch and wins).
   */
  recordWrite(written: T, basedOn: string | undefined): void;
}

export class Informer<T extends KubeObject = KubeObject> implements WriteThroughCache<T> {
  private readonly store = new Map<string, T>();
  /** indexKey → object keys; kept in step with `store` by `put` and `remove`. */
  private readonly index = new Map<string, Set<string>>();
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion: string | undefined;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private abort: AbortController | undefined;
  private stopped = false;
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly clock: Clock;
  /** Counters for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, relistsOnGone: 0, watchErrors: 0 };

  constructor(private readonly options: InformerOptions) {
    this.clock = options.clock ?? realClock;
  }

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace !== undefined ? `${namespace}/${name}` : name);
  }

  indexed(key: string): T[] {
    const keys = this.index.get(key);
    if (keys === undefined) return [];
    return [...keys].map((k) => this.store.get(k)).filter((o): o is T => o !== undefined);
  }

  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  // Without this a reconcile that runs between our status write and its watch event reads the old status and
  // writes it (and its Event) again. No handler runs here: the watch then delivers an update to the same version.
  recordWrite(written: T, basedOn: string | undefined): void {
    const shaped = this.shape(written);
    const key = objectKey(shaped);
    const cached = this.store.get(key);
    if (cached === undefined || basedOn === undefined || cached.metadata.resourceVersion !== basedOn) return;
    this.put(key, shaped);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    if (this.loop !== undefined) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopController.abort();
    this.abort?.abort();
    await this.loop;
  }

  /**
   * Resumes the watch from an arbitrary resourceVersion, as after a long
   * disconnection (fault tests: an expired version must lead to a relist).
   */
  resumeFrom(resourceVersion: string): void {
    this.resourceVersion = resourceVersion;
    this.abort?.abort();
  }

  /** Cuts the current watch as a network failure would (fault tests). */
  cutWatch(): void {
    this.abort?.abort();
  }

  private shape(obj: T): T {
    return this.options.transform === undefined ? obj : (this.options.transform(obj) as T);
  }

  private put(key: string, obj: T): void {
    const prev = this.store.get(key);
    this.store.set(key, obj);
    const indexKey = this.options.indexKey;
    if (indexKey === undefined) return;
    const before = prev === undefined ? undefined : indexKey(prev);
    const after = indexKey(obj);
    if (before === after) return;
    if (before !== undefined) this.unindex(before, key);
    if (after !== undefined) {
      const keys = this.index.get(after) ?? new Set<string>();
      keys.add(key);
      this.index.set(after, keys);
    }
  }

  private remove(key: string): void {
    const prev = this.store.get(key);
    this.store.delete(key);
    const before = prev === undefined ? undefined : this.options.indexKey?.(prev);
    if (before !== undefined) this.unindex(before, key);
  }

  private unindex(indexKey: string, key: string): void {
    const keys = this.index.get(indexKey);
    keys?.delete(key);
    if (keys?.size === 0) this.index.delete(indexKey);
  }

  private emit(event: InformerEvent, obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        h(event, obj, old);
      } catch (err) {
        this.options.logger.error({ err, kind: this.options.type.kind }, "informer handler failed");
      }
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        await this.watchOnce();
        failures = 0;
      } catch (err) {
        // stop() may have run during the awaits above; the loop condition's narrowing does not know that.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        if (this.stopped) break;
        if (isGone(err) || err instanceof WatchGoneError) {
          this.stats.relistsOnGone += 1;
          this.options.logger.info({ kind: this.options.type.kind }, "watch expired (410 Gone); relisting");
          needList = true;
          continue;
        }
        this.stats.watchErrors += 1;
        failures += 1;
        // After repeated failures relist too: events may have been compacted away.
        if (failures >= 3) needList = true;
        const delay = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.options.logger.warn(
          { kind: this.options.type.kind, err: errorMessage(err), retryInMs: delay },
          "watch failed; reconnecting",
        );
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const t = this.clock.setTimeout(resolve, ms);
      this.stopController.signal.addEventListener(
        "abort",
        () => {
          t.cancel();
          resolve();
        },
        { once: true },
      );
    });
  }

  private async relist(): Promise<void> {
    const { client, type, namespace, labelSelector } = this.options;
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await client.request<KubeList<T>>("GET", resourcePath(type, namespace), {
        query: { labelSelector, limit: 500, continue: cont },
        ...(this.options.metadataOnly === true && { accept: PARTIAL_METADATA_LIST }),
      });
      this.stats.lists += 1;
      // An empty PartialObjectMetadataList comes back with `"items": null`.
      for (const item of page.items ?? []) {
        // List items omit apiVersion/kind; handlers and appliers want them.
        item.apiVersion = type.apiVersion;
        item.kind = type.kind;
        fresh.set(objectKey(item), this.shape(item));
      }
      cont = page.metadata.continue === "" ? undefined : page.metadata.continue;
      rv = page.metadata.resourceVersion;
    } while (cont !== undefined);

    const old = new Map(this.store);
    for (const k of old.keys()) if (!fresh.has(k)) this.remove(k);
    for (const [k, v] of fresh) this.put(k, v);
    for (const [k, v] of fresh) {
      const prev = old.get(k);
      if (prev === undefined) this.emit("add", v);
      else if (prev.metadata.resourceVersion !== v.metadata.resourceVersion) this.emit("update", v, prev);
    }
    for (const [k, v] of old) if (!fresh.has(k)) this.emit("delete", v);
    this.resourceVersion = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private async watchOnce(): Promise<void> {
    const { client, type, namespace, labelSelector } = this.options;
    this.abort = new AbortController();
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? 60 + Math.floor(Math.random() * 30);
    this.stats.watches += 1;
    // Set by the event callback during the watch; an object so the read after it is not narrowed to false.
    const watch = { gone: false };
    await client.watch(
      resourcePath(type, namespace),
      { labelSelector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      {
        onEvent: (raw) => {
          const ev = raw as WatchEvent<T>;
          if (ev.type === "ERROR") {
            const status = ev.object as unknown as { code?: number; message?: string };
            if (status.code === 410) {
              watch.gone = true;
              this.abort?.abort();
              return;
            }
            throw new KubeApiError(status.code ?? 500, "WatchError", status.message ?? "watch error event");
          }
          if (ev.object.metadata.resourceVersion !== undefined)
            this.resourceVersion = ev.object.metadata.resourceVersion;
          if (ev.type === "BOOKMARK") return;
          ev.object.apiVersion = type.apiVersion;
          ev.object.kind = type.kind;
          const obj = this.shape(ev.object);
          const key = objectKey(obj);
          const prev = this.store.get(key);
          if (ev.type === "DELETED") {
            this.remove(key);
            this.emit("delete", obj);
          } else {
            this.put(key, obj);
            this.emit(prev === undefined ? "add" : "update", obj, prev);
          }
        },
      },
      this.abort.signal,
      this.options.idleTimeoutMs ?? 180_000,
      this.options.metadataOnly === true ? PARTIAL_METADATA : undefined,
    );
    if (watch.gone) throw new WatchGoneError();
    if (this.abort.signal.aborted && !this.stopped) throw new Error("watch cut");
  }
}

class WatchGoneError extends Error {
  override readonly name = "WatchGoneError";
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
