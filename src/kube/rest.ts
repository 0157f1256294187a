import { Agent, request as httpsRequest } from "node:https";
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterAccess } from "./cluster-access.js";
import { InFlightLimit } from "./in-flight.js";
import { kubeConfigAccess, loadKubeConfig } from "./kubeconfig-access.js";

/**
 * A small Kubernetes REST client over node:https. The operator needs raw JSON
 * (client-node's serializer turns timestamps into Dates and drops fields it
 * does not model, which breaks "did anything change" comparisons),
 * server-side apply on subresources, and full control of watches (bookmarks,
 * 410 Gone, idle timeouts). Authentication comes from a ClusterAccess: a
 * kubeconfig through client-node (files, exec plugins), or a pod's service
 * account read directly (in-cluster.ts).
 */

export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409;
}
export function isGone(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 410;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly timeoutMs?: number;
  /** Accept header (default plain JSON); e.g. `PARTIAL_METADATA_LIST` for metadata-only lists. */
  readonly accept?: string;
}

/**
 * The apiserver answers with only the metadata of each object when asked for
 * these (client-go's metadata client): a fraction of the bytes for objects
 * whose content we do not need to hold.
 */
export const PARTIAL_METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
export const PARTIAL_METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

export interface WatchHandlers {
  onEvent(line: unknown): void;
}

export interface RequestCounter {
  (method: string, path: string, status: number, query: URLSearchParams): void;
}

/**
 * client-go's rule (rest.checkWait): a 429, or a 5xx carrying Retry-After,
 * means the server did not act on the request and says when to come back,
 * so the request is sent again after that wait instead of failing the whole
 * reconcile (which would flap the status to Degraded and back off the key).
 * The wait is capped so a lease renewal cannot be held past its deadline.
 */
const MAX_RETRY_AFTER_MS = 5_000;
export function retryAfterMs(status: number, header: string | string[] | undefined): number | undefined {
  if (status !== 429 && status < 500) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Number(value.trim()) * 1000);
}

/**
 * What the operator's reconciler and the controller machinery (informers,
 * leader election, events) need from the apiserver: JSON requests (server-side
 * apply is a PATCH with `APPLY_PATCH`) and watches. `RestClient` is the real
 * one; unit tests of `reconcile()` pass an in-memory one.
 */
export interface KubeClient {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** Streams watch events to `handlers` until the server closes the watch or `signal` aborts. */
  watch(
    path: string,
    query: RequestOptions["query"],
    handlers: WatchHandlers,
    signal: AbortSignal,
    idleTimeoutMs: number,
    accept?: string,
  ): Promise<void>;
}

export interface ClientOptions {
  /** At most this many requests in flight at once (default: unbounded). */
  readonly maxInFlight?: number;
}

const DEFAULT_SOCKETS = 32;
const WATCH_SOCKETS = 32;

export const APPLY_PATCH = "application/apply-patch+yaml";
export const MERGE_PATCH = "application/merge-patch+json";

export class RestClient implements KubeClient {
  private readonly agent: Agent | undefined;
  private readonly server: URL;
  /** Observers of every completed request (metrics, the zero-writes-on-idle test). */
  private readonly counters: RequestCounter[] = [];
  /** Re-sends after a Retry-After answer (client-go allows 10; fewer keeps a reconcile's latency bounded). */
  private readonly retryAfterAttempts = 5;

  /** Bounds plain requests (not watches, which stay open for minutes and are few: one per informer). */
  readonly inFlight: InFlightLimit | undefined;

  private constructor(
    private readonly access: ClusterAccess,
    options: ClientOptions,
  ) {
    const { server, tls } = access;
    this.server = new URL(server);
    this.inFlight = options.maxInFlight === undefined ? undefined : new InFlightLimit(options.maxInFlight);
    // Sockets for the request budget plus the long-lived watches beside it.
    const maxSockets = (options.maxInFlight ?? DEFAULT_SOCKETS) + WATCH_SOCKETS;
    this.agent =
      this.server.protocol === "https:" ? new Agent({ keepAlive: true, maxSockets, ...tls }) : undefined;
  }

  static async fromKubeConfig(kc: KubeConfig, options: ClientOptions = {}): Promise<RestClient> {
    return new RestClient(await kubeConfigAccess(kc), options);
  }

  /** A client for the current context of a kubeconfig file. */
  static async fromKubeconfigFile(path: string, options: ClientOptions = {}): Promise<RestClient> {
    return RestClient.fromKubeConfig(await loadKubeConfig(path), options);
  }

  static fromAccess(access: ClusterAccess, options: ClientOptions = {}): RestClient {
    return new RestClient(access, options);
  }

  onRequest(counter: RequestCounter): void {
    this.counters.push(counter);
  }

  private headers(): Promise<Record<string, string>> {
    return this.access.headers();
  }

  private url(path: string, query?: RequestOptions["query"]): URL {
    const u = new URL(path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  private open(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const req = send(url, { method, headers, agent: this.agent, timeout: timeoutMs }, resolve);
      req.on("timeout", () =>
        req.destroy(new Error(`${method} ${url.pathname} timed out after ${timeoutMs} ms`)),
      );
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    let body: string | undefined;
    if (options.body !== undefined)
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    const url = this.url(path, options.query);
    let text: string;
    let status: number;
    for (let attempt = 0; ; attempt += 1) {
      const headers: Record<string, string> = {
        ...(await this.headers()),
        Accept: options.accept ?? "application/json",
      };
      if (body !== undefined) {
        headers["Content-Type"] = options.contentType ?? "application/json";
        // Node frames a DELETE body with neither Content-Length nor chunking: the server reads no body
        // (the DeleteOptions with our uid precondition were silently dropped) and the stray bytes
        // poison the keep-alive connection. An explicit length frames every method's body.
        headers["Content-Length"] = String(Buffer.byteLength(body));
      }
      const exchange = async () => {
        const res = await this.open(method, url, headers, body, options.timeoutMs ?? 30_000);
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        return { res, text: Buffer.concat(chunks).toString("utf8") };
      };
      // The slot is held for the exchange only, never across a Retry-After wait.
      const { res, text: received } = await (this.inFlight?.run(exchange) ?? exchange());
      text = received;
      status = res.statusCode ?? 0;
      for (const c of this.counters) c(method, url.pathname, status, url.searchParams);
      const wait = retryAfterMs(status, res.headers["retry-after"]);
      if (wait === undefined || attempt >= this.retryAfterAttempts) break;
      await new Promise((r) => setTimeout(r, wait));
    }
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (status < 200 || status >= 300) {
      const s = parsed as { reason?: string; message?: string } | undefined;
      throw new KubeApiError(
        status,
        s?.reason ?? "Unknown",
        `${method} ${url.pathname}: ${status} ${s?.message ?? text.slice(0, 300)}`,
        parsed,
      );
    }
    return parsed as T;
  }

  /**
   * Streams a watch until the server closes it, the signal aborts, or no
   * byte (events or bookmarks) arrives for idleTimeoutMs: a silent watch is
   * the failure mode that stalls informers, so it is treated as an error.
   */
  async watch(
    path: string,
    query: RequestOptions["query"],
    handlers: WatchHandlers,
    signal: AbortSignal,
    idleTimeoutMs: number,
    accept = "application/json",
  ): Promise<void> {
    const headers = { ...(await this.headers()), Accept: accept };
    const url = this.url(path, { ...query, watch: "true" });
    const res = await this.open("GET", url, headers, undefined, idleTimeoutMs);
    const status = res.statusCode ?? 0;
    for (const c of this.counters) c("WATCH", url.pathname, status, url.searchParams);
    if (status !== 200) {
      res.resume();
      throw new KubeApiError(status, "WatchFailed", `watch ${url.pathname}: ${status}`);
    }
    await new Promise<void>((resolve, reject) => {
      let buffer = "";
      let idle: NodeJS.Timeout = setTimeout(() => undefined, 0);
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () => res.destroy(new Error(`watch ${url.pathname} idle for ${idleTimeoutMs} ms`)),
          idleTimeoutMs,
        );
      };
      const onAbort = () => res.destroy();
      signal.addEventListener("abort", onAbort, { once: true });
      const done = (err?: Error) => {
        clearTimeout(idle);
        signal.removeEventListener("abort", onAbort);
        if (err !== undefined && !signal.aborted) reject(err);
        else resolve();
      };
      arm();
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        arm();
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line === "") continue;
          try {
            handlers.onEvent(JSON.parse(line));
          } catch (err) {
            res.destroy(err instanceof Error ? err : new Error(String(err)));
            return;
          }
        }
      });
      res.on("end", () => done());
      res.on("error", (err) => done(err));
      res.on("close", () => done());
    });
  }

  close(): void {
    this.agent?.destroy();
  }
}
