import type { Logger } from "pino";
import { isGone, KubeApiError, type KubeClient } from "../kube/rest.js";
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
}

export type InformerEvent = "add" | "update" | "delete";
export type InformerHandler<T> = (event: InformerEvent, obj: T, old?: T) => void;

/** Read side of an informer, as in client-node's cache.ts: what reconcilers use. */
export interface ObjectCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
}

export class Informer<T extends KubeObject = KubeObject> implements ObjectCache<T> {
  private readonly store = new Map<string, T>();
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

  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
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
      });
      this.stats.lists += 1;
      for (const item of page.items) {
        // List items omit apiVersion/kind; handlers and appliers want them.
        item.apiVersion = type.apiVersion;
        item.kind = type.kind;
        fresh.set(objectKey(item), item);
      }
      cont = page.metadata.continue === "" ? undefined : page.metadata.continue;
      rv = page.metadata.resourceVersion;
    } while (cont !== undefined);

    const old = new Map(this.store);
    this.store.clear();
    for (const [k, v] of fresh) this.store.set(k, v);
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
          const obj = ev.object;
          if (obj.metadata.resourceVersion !== undefined) this.resourceVersion = obj.metadata.resourceVersion;
          if (ev.type === "BOOKMARK") return;
          obj.apiVersion = type.apiVersion;
          obj.kind = type.kind;
          const key = objectKey(obj);
          const prev = this.store.get(key);
          if (ev.type === "DELETED") {
            this.store.delete(key);
            this.emit("delete", obj);
          } else {
            this.store.set(key, obj);
            this.emit(prev === undefined ? "add" : "update", obj, prev);
          }
        },
      },
      this.abort.signal,
      this.options.idleTimeoutMs ?? 180_000,
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
