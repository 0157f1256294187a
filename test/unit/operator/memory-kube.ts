import type { WriteThroughCache } from "../../../src/controller/informer.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { childIndexKey } from "../../../src/operator/child-index.js";
import { cachedAsMetadata, leanObject } from "../../../src/operator/lean-cache.js";
import { APPLY_PATCH, KubeApiError, type KubeClient, type RequestOptions } from "../../../src/kube/rest.js";

/**
 * An in-memory apiserver for unit tests of `reconcile()`: objects by path,
 * server-side apply that stores what was applied (no defaulting, no field
 * ownership: those are the apiserver's decisions and stay in the integration
 * tests), dry-run, delete and status writes, with a log of every request and
 * a hook to make a request fail.
 */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly options: RequestOptions;
}

export class MemoryKube implements KubeClient {
  readonly objects = new Map<string, KubeObject>();
  readonly log: LoggedRequest[] = [];
  /** Return an error to fail the request with it. */
  failWith: (method: string, path: string, options: RequestOptions) => Error | undefined = () => undefined;
  private uid = 0;

  request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    this.log.push({ method, path, options });
    return Promise.resolve().then(() => this.handle(method, path, options) as T);
  }

  watch(): Promise<void> {
    return Promise.reject(new Error("MemoryKube does not serve watches: reconcile() reads caches"));
  }

  /** Requests that would change something (dry-runs and reads excluded). */
  writes(): LoggedRequest[] {
    return this.log.filter((r) => r.method !== "GET" && r.options.query?.["dryRun"] === undefined);
  }

  /** The objects stored under `kind`, as the operator's informer of that kind would cache them. */
  cache(kind: string): WriteThroughCache<KubeObject> {
    return cacheOf(() =>
      [...this.objects.values()]
        .filter((o) => o.kind === kind)
        .map((o) =>
          cachedAsMetadata(kind)
            ? { apiVersion: o.apiVersion, kind: o.kind, metadata: leanObject(o).metadata }
            : leanObject(o),
        ),
    );
  }

  private handle(method: string, path: string, options: RequestOptions): unknown {
    const failure = this.failWith(method, path, options);
    if (failure !== undefined) throw failure;
    const status = path.endsWith("/status");
    const key = status ? path.slice(0, -"/status".length) : path;
    const live = this.objects.get(key);
    switch (method) {
      case "GET":
        if (live === undefined) throw notFound(path);
        return fromJson(live);
      case "POST":
        return fromJson(options.body);
      case "DELETE":
        if (live === undefined) throw notFound(path);
        this.objects.delete(key);
        return {};
      case "PATCH": {
        if (options.contentType !== APPLY_PATCH)
          throw new Error(`MemoryKube: unsupported patch ${options.contentType}`);
        const body = fromJson(options.body) as KubeObject;
        // The apiserver's optimistic lock: a resourceVersion in the body must be the stored one.
        const expected = body.metadata.resourceVersion;
        if (
          !status &&
          expected !== undefined &&
          live !== undefined &&
          expected !== live.metadata.resourceVersion
        )
          throw new KubeApiError(409, "Conflict", `${path}: the object has been modified`);
        let next: KubeObject;
        if (status) {
          if (live === undefined) throw notFound(path);
          next = { ...live, status: body["status"] };
        } else {
          next = {
            ...body,
            // An apply of the object leaves its status alone, as the apiserver's does.
            ...(live?.["status"] !== undefined && { status: live["status"] }),
            metadata: {
              ...body.metadata,
              uid: live?.metadata.uid ?? `uid-${(this.uid += 1)}`,
              resourceVersion: String(Number(live?.metadata.resourceVersion ?? "0") + 1),
            },
          };
        }
        if (options.query?.["dryRun"] === undefined) this.objects.set(key, next);
        return fromJson(next);
      }
      default:
        throw new Error(`MemoryKube: unsupported method ${method}`);
    }
  }
}

/** A cache read from the objects themselves: it is never stale, so a recorded write has nothing to do. */
export function cacheOf(objects: () => readonly KubeObject[]): WriteThroughCache<KubeObject> {
  return {
    recordWrite: () => undefined,
    get: (namespace, name) =>
      objects().find((o) => o.metadata.namespace === namespace && o.metadata.name === name),
    list: (namespace) =>
      objects().filter((o) => namespace === undefined || o.metadata.namespace === namespace),
    indexed: (key) => objects().filter((o) => childIndexKey(o) === key),
  };
}

function notFound(path: string): KubeApiError {
  return new KubeApiError(404, "NotFound", `${path} not found`);
}

/** A copy as the real client returns it: parsed JSON (plain objects of this realm, unlike structuredClone's in Jest). */
function fromJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
