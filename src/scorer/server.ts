import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { pino, type Logger } from "pino";
import { PUBLIC_ROUTES, TokenAuth } from "./auth.js";
import type { ScorerConfig } from "./config.js";
import { ApiError, toApiError, type ErrorCode } from "./errors.js";
import { Explanations } from "./explain.js";
import { ScorerMetrics } from "./metrics.js";
import { accessLogLevel, ReadinessLog } from "./log-policy.js";
import { buildOpenApi } from "./openapi.js";
import { WatchedFile } from "./reload.js";
import { buildRoutes, type Method, type Operation, type Route, type RouteResponse } from "./routes.js";
import type { ScorerSources } from "./sources.js";
import { ScorerState } from "./state.js";

/**
 * The scorer's HTTP server on node:http: routing (404/405), JSON bodies
 * with a size limit (413) and content-type check (415), per-request
 * timeout, bearer auth, request ids, the pino access log, request metrics,
 * and graceful drain. Every failure answers with the JSON error model;
 * nothing a client sends can throw out of `#handle`.
 */

export interface ScorerOptions {
  readonly config: ScorerConfig;
  readonly sources: ScorerSources;
  readonly logger?: Logger;
  /** Collect default process metrics (one registry per process is typical; tests may turn it off). */
  readonly defaultMetrics?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * What the management port (`metricsPort`) serves: the probes and the
 * scrape. With a management port the API port no longer serves /metrics, so
 * the Service's `http` port and an Ingress in front of it expose no metrics.
 */
export const MANAGEMENT_PATHS: ReadonlySet<string> = new Set(["/health", "/ready", "/metrics"]);

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

export class Scorer {
  readonly config: ScorerConfig;
  readonly log: Logger;
  readonly metrics: ScorerMetrics;
  readonly state: ScorerState;
  readonly explanations: Explanations;
  readonly auth = new TokenAuth();
  /** The API port (`port`). */
  readonly server: Server;
  /** The management port (`metricsPort`), when configured. */
  readonly managementServer: Server | null;
  /** Every route; `apiRoutes` and `managementRoutes` are what each port serves. */
  readonly routes: ReadonlyMap<string, Route>;
  readonly apiRoutes: ReadonlyMap<string, Route>;
  readonly managementRoutes: ReadonlyMap<string, Route>;
  #openapi: unknown = null;
  #tokenWatch: WatchedFile<void> | null = null;
  #inflight = 0;
  #drained: (() => void) | null = null;
  readonly #readinessLog: ReadinessLog;

  constructor(options: ScorerOptions) {
    this.config = options.config;
    this.log = options.logger ?? pino({ level: options.config.logLevel, base: { component: "scorer" } });
    this.metrics = new ScorerMetrics({ defaultMetrics: options.defaultMetrics ?? true });
    this.state = new ScorerState(this.config, options.sources, this.metrics, this.log);
    this.explanations = new Explanations(this.state);
    this.#readinessLog = new ReadinessLog(this.log);
    const routes = buildRoutes({
      state: this.state,
      explanations: this.explanations,
      metrics: this.metrics,
      openapi: () =>
        (this.#openapi ??= buildOpenApi([...this.apiRoutes.values()], { authEnabled: this.auth.enabled })),
    });
    this.routes = new Map(routes.map((r) => [r.path, r]));
    const separate = this.config.metricsPort !== undefined;
    this.apiRoutes = new Map(
      routes.filter((r) => !separate || r.path !== "/metrics").map((r) => [r.path, r]),
    );
    this.managementRoutes = new Map(
      routes.filter((r) => MANAGEMENT_PATHS.has(r.path)).map((r) => [r.path, r]),
    );
    this.server = this.#createServer(this.apiRoutes);
    this.managementServer = separate ? this.#createServer(this.managementRoutes) : null;
  }

  #createServer(routes: ReadonlyMap<string, Route>): Server {
    const server = createServer(
      {
        requestTimeout: 0,
        headersTimeout: Math.min(60_000, this.config.requestTimeoutMs + 1000),
        // Node enforces headersTimeout only when it sweeps its connections,
        // every 30 s by default: a slowloris trickling headers was held ~30 s
        // whatever the timeout. Sweep every second instead.
        connectionsCheckingInterval: 1000,
      },
      (req, res) => this.#handle(req, res, routes),
    );
    server.keepAliveTimeout = 5000;
    server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => this.#clientError(err, socket));
    return server;
  }

  /** Loads the token (failing fast when configured but unreadable), starts watching files, listens. */
  async start(): Promise<AddressInfo> {
    if (this.config.tokenFile !== undefined) {
      const path = this.config.tokenFile;
      await this.auth.load(path);
      this.#tokenWatch = new WatchedFile<void>({
        path,
        pollMs: this.config.watchPollMs,
        load: async () => {
          await this.auth.load(path);
          this.log.info({ path }, "auth token reloaded");
        },
        onFailure: (err) =>
          this.log.error(
            { path, err: String(err) },
            "auth token file unreadable; keeping the previous token",
          ),
      });
      await this.#tokenWatch.start();
    }
    await this.state.start();
    // Readiness changes only when a file is swapped in (or on drain, which logs
    // "draining"), so it is reported then, once, not on every probe. Swaps
    // during start are not reported one by one: the state after them is.
    this.#reportReadiness();
    this.state.onSwap(() => this.#reportReadiness());
    const address = await listen(this.server, this.config.port, this.config.host);
    const management =
      this.managementServer !== null && this.config.metricsPort !== undefined
        ? await listen(this.managementServer, this.config.metricsPort, this.config.host)
        : undefined;
    this.log.info(
      {
        host: address.address,
        port: address.port,
        ...(management !== undefined && { metricsPort: management.port }),
        auth: this.auth.enabled,
      },
      "scorer listening",
    );
    return address;
  }

  /** Where the management port listens (after `start`), or null without one. */
  get managementAddress(): AddressInfo | null {
    return (this.managementServer?.address() as AddressInfo | null | undefined) ?? null;
  }

  /**
   * Graceful drain: /ready turns 503, the listener closes, idle keep-alive
   * connections close, in-flight requests finish (responses carry
   * `Connection: close`) up to the grace period, then everything closes.
   */
  async shutdown(graceMs = this.config.shutdownGraceMs): Promise<void> {
    this.state.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.server.closeAllConnections();
    await closed;
    // The management port stays up through the drain, so the probes see
    // /ready 503 rather than a refused connection; it closes last.
    if (this.managementServer !== null) {
      const management = this.managementServer;
      const done = new Promise<void>((resolve) => management.close(() => resolve()));
      management.closeAllConnections();
      await done;
    }
    this.#tokenWatch?.close();
    this.state.close();
    await this.state.closeCompute();
    this.log.info("scorer stopped");
  }

  #reportReadiness(): void {
    if (!this.state.draining) this.#readinessLog.observe(this.state.readiness());
  }

  #clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const [status, code, text] =
      err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "request_timeout", "Request Timeout"]
        : err.code === "HPE_HEADER_OVERFLOW"
          ? [431, "invalid_json", "Request Header Fields Too Large"]
          : [400, "invalid_json", "Bad Request"];
    const body = JSON.stringify({
      error: { code, message: `malformed HTTP request: ${err.code ?? "error"}`, details: null },
    });
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  #handle(req: IncomingMessage, res: ServerResponse, routes: ReadonlyMap<string, Route>): void {
    const started = process.hrtime.bigint();
    const incomingId = req.headers["x-request-id"];
    const requestId =
      typeof incomingId === "string" && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    res.setHeader("X-Request-Id", requestId);
    if (this.state.draining) res.setHeader("Connection", "close");
    this.#inflight++;
    let path = "/";
    try {
      path = new URL(req.url ?? "/", "http://scorer").pathname;
    } catch {
      path = "/";
    }
    const route = routes.get(path);
    const endpoint = route?.path ?? "unmatched";
    const method = req.method ?? "GET";
    let errorCode: ErrorCode | undefined;

    const timer = setTimeout(() => {
      if (!res.headersSent) {
        const err = new ApiError(
          req.complete ? "timeout" : "request_timeout",
          `request not completed within ${this.config.requestTimeoutMs} ms`,
        );
        res.setHeader("Connection", "close");
        errorCode = err.code;
        sendJson(res, err.status, err.toBody());
      }
      req.destroy();
    }, this.config.requestTimeoutMs);

    res.once("close", () => {
      clearTimeout(timer);
      this.#inflight--;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.headersSent ? res.statusCode : 499;
      const metricMethod = ["GET", "POST", "HEAD"].includes(method) ? method : "OTHER";
      this.metrics.requests.inc({ endpoint, method: metricMethod, code: String(status) });
      this.metrics.requestDuration.observe({ endpoint }, seconds);
      const entry = {
        req_id: requestId,
        method,
        route: endpoint,
        path: path.length > 200 ? `${path.slice(0, 200)}…` : path,
        status,
        latency_ms: Math.round(seconds * 1e6) / 1e3,
      };
      this.log[accessLogLevel(endpoint, status, errorCode)](entry, "request");
      if (this.#inflight === 0) this.#drained?.();
    });
    req.on("error", () => undefined);

    void this.#dispatch(req, res, route, method).catch((err: unknown) => {
      const apiError = toApiError(err);
      if (apiError.code === "internal")
        this.log.error(
          { req_id: requestId, err: err instanceof Error ? err.stack : String(err) },
          "unhandled error",
        );
      if (!res.headersSent && !res.writableEnded) {
        if (apiError.status === 413) lingerClose(req);
        if (apiError.status === 413 || this.state.draining) res.setHeader("Connection", "close");
        errorCode = apiError.code;
        sendJson(res, apiError.status, apiError.toBody(), apiError.headers);
      }
    });
  }

  async #dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route | undefined,
    method: string,
  ): Promise<void> {
    if (route === undefined)
      throw new ApiError("not_found", `no route ${req.url?.split("?")[0]?.slice(0, 200) ?? ""}`);
    const op: Operation | undefined = route.methods[(method === "HEAD" ? "GET" : method) as Method];
    if (op === undefined) {
      const allow = Object.keys(route.methods).flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m]));
      throw new ApiError(
        "method_not_allowed",
        `${method} is not allowed on ${route.path}`,
        { allow },
        {
          Allow: allow.join(", "),
        },
      );
    }
    if (!PUBLIC_ROUTES.has(route.path) && !route.public) this.auth.check(req.headers.authorization);
    const body = op.body === undefined ? undefined : await this.#readJson(req, op.body === "optional");
    const url = new URL(req.url ?? "/", "http://scorer");
    const result: RouteResponse = await op.handler({ query: url.searchParams, body, headers: req.headers });
    if (res.headersSent || res.writableEnded) return;
    if (this.state.draining) res.setHeader("Connection", "close");
    const headers = result.headers ?? {};
    if (result.status === 304) {
      res.writeHead(304, headers);
      res.end();
    } else if (result.text !== undefined) {
      res.writeHead(result.status, {
        ...headers,
        "Content-Type": result.contentType ?? "text/plain; charset=utf-8",
        "Content-Length": Buffer.byteLength(result.text),
      });
      res.end(result.text);
    } else sendJson(res, result.status, result.body, headers);
  }

  async #readJson(req: IncomingMessage, optional: boolean): Promise<unknown> {
    const limit = this.config.bodyLimitBytes;
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
    const hasBody =
      declared !== undefined ? Number(declared) > 0 : req.headers["transfer-encoding"] !== undefined;
    if (!hasBody && optional) {
      req.resume();
      return {};
    }
    if (!isJsonContentType(req.headers["content-type"]))
      throw new ApiError(
        "unsupported_media_type",
        `expected Content-Type application/json, got ${req.headers["content-type"]?.slice(0, 100) ?? "none"}`,
      );
    const bytes = await readBody(req, limit);
    let text: string;
    try {
      // RFC 8259: JSON on the wire is UTF-8. A lenient decode would turn bad
      // bytes into U+FFFD and answer about a ticker nobody sent.
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ApiError("invalid_json", "request body is not valid UTF-8");
    }
    if (text.trim().length === 0) {
      if (optional) return {};
      throw new ApiError("invalid_json", "request body is empty");
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ApiError(
        "invalid_json",
        `request body is not valid JSON: ${err instanceof Error ? err.message.slice(0, 200) : ""}`,
      );
    }
  }
}

/**
 * Collects the body up to `limit` bytes. Past the limit it stops reading
 * (pauses the socket) and rejects with 413 instead of destroying the request:
 * breaking out of `for await` destroyed the socket, so a client streaming a
 * huge chunked body got a connection reset rather than the 413. The 413 is
 * sent with `Connection: close`, after which node closes the socket.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
    req.once("aborted", () => reject(new ApiError("request_timeout", "client aborted the request body")));
  });
}

/** How long, and how many more bytes, a refused upload is drained before its socket is destroyed. */
export const LINGER = { ms: 1000, bytes: 4 * 1024 * 1024 } as const;

/**
 * A lingering close for a refused upload (what nginx calls lingering_close).
 * Node closes a `Connection: close` socket as soon as the response is handed
 * to the kernel; with the client's unread body still in the receive buffer,
 * that close() sends a TCP reset which discards the 413 not yet transmitted,
 * so under load clients saw a reset instead of the 413. Instead: send FIN
 * after the response, keep reading and discarding for at most `LINGER.ms` or
 * `LINGER.bytes`, then destroy. Nothing is buffered.
 */
function lingerClose(req: IncomingMessage): void {
  const socket = req.socket;
  const readAtRefusal = socket.bytesRead;
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER.ms);
    socket.once("close", () => clearTimeout(timer));
  };
  req.on("data", () => {
    if (socket.bytesRead - readAtRefusal > LINGER.bytes) socket.destroy();
  });
  req.resume();
}

function tooLarge(limit: number): ApiError {
  return new ApiError("payload_too_large", `request body exceeds ${limit} bytes`, { limit_bytes: limit });
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Creates the scorer and wires SIGTERM/SIGINT to a graceful drain. Resolves when it is listening. */
export async function runScorer(options: ScorerOptions): Promise<Scorer> {
  const scorer = new Scorer(options);
  await scorer.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    scorer.log.info({ signal }, "draining");
    void scorer.shutdown().finally(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return scorer;
}
