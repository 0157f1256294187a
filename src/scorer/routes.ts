import { createHash } from "node:crypto";
import type { RegistryVersion } from "../model-source/registry-uri.js";
import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";
import { ApiError } from "./errors.js";
import { topFeatures, type Explanations, type LocalExplanation } from "./explain.js";
import { fastExplainLocalRequest, fastScoreRequest } from "./fast-validate.js";
import type { ScorerMetrics } from "./metrics.js";
import * as S from "./schemas.js";
import type { ScorerState } from "./state.js";

/**
 * The route table: each route's methods, handler and its documentation
 * (schemas and statuses), which `openapi.ts` turns into `/openapi.json`.
 * Handlers are plain functions of a parsed request; HTTP plumbing
 * (bodies, limits, auth, logging, metrics) lives in `server.ts`.
 */

export interface RouteRequest {
  readonly query: URLSearchParams;
  /** Parsed JSON body (routes with `body`), else undefined. */
  readonly body: unknown;
  readonly headers: IncomingHttpHeaders;
}

export interface RouteResponse {
  readonly status: number;
  /** JSON-serialised unless `text` is set. */
  readonly body?: unknown;
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteDoc {
  readonly summary: string;
  readonly request?: z.ZodType;
  readonly query?: z.ZodObject;
  readonly response: z.ZodType | "text";
  /** Error statuses this operation can answer with (besides 401 when auth is on). */
  readonly errors: readonly number[];
  /** Error statuses whose body is not the error model (`/ready` answers 503 with its own report). */
  readonly errorBodies?: Readonly<Partial<Record<number, z.ZodType>>>;
}

export interface Operation {
  readonly handler: (req: RouteRequest) => RouteResponse | Promise<RouteResponse>;
  /** Reads a JSON body; `"optional"` accepts an empty one as `{}`. */
  readonly body?: "required" | "optional";
  readonly doc: RouteDoc;
}

export type Method = "GET" | "POST";

export interface Route {
  readonly path: string;
  /** Exempt from bearer auth (probes and scraping). */
  readonly public: boolean;
  readonly methods: Partial<Record<Method, Operation>>;
}

export interface RouteDeps {
  readonly state: ScorerState;
  readonly explanations: Explanations;
  readonly metrics: ScorerMetrics;
  readonly openapi: () => unknown;
}

/** Validates with a zod schema; failures become 400 `validation_failed` with the issues as details. */
export function validate<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 20).map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    code: i.code,
    message: i.message,
  }));
  throw new ApiError("validation_failed", `invalid ${where}: ${issues[0]?.message ?? "invalid"}`, { issues });
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export function localResponse(
  ticker: string,
  e: LocalExplanation,
  topK: number,
  source: "panel" | "prices",
  asOf: string | null,
): z.output<typeof S.ExplainLocalResponse> {
  const top = topFeatures(e.featureNames, e.shap, topK);
  const shown = new Set(top.map(([name]) => name));
  let other = 0;
  e.featureNames.forEach((n, j) => {
    if (!shown.has(n)) other += e.shap[j]!;
  });
  const featureValues: Record<string, number | null> = {};
  e.featureNames.forEach((n, j) => (featureValues[n] = finiteOrNull(e.values[j]!)));
  return {
    ticker,
    top_features: top,
    base_value: e.bias,
    prediction: e.prediction,
    feature_values: featureValues,
    other_shap: other,
    source,
    as_of: asOf,
  };
}

/** Strong ETag of the panel content and the requested tickers. */
export function expectedEtag(panelSha: string, tickers: readonly string[] | null): string {
  const h = createHash("sha256")
    .update(panelSha)
    .update("\0")
    .update(tickers === null ? "*" : tickers.join(","));
  return `"${h.digest("hex").slice(0, 32)}"`;
}

/** RFC 9110 If-None-Match (weak comparison). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((t) => t.trim() === "*" || strip(t) === etag);
}

/**
 * Bytes of serialized `/score_expected` bodies kept (keys included, counted
 * as UTF-16, 2 bytes a code unit). Selections are keyed by ticker order, so
 * a client can make any number of them: the cache holds at most this much,
 * dropping the oldest first; a body larger than the whole budget is served
 * but not kept.
 */
export const BODY_CACHE_MAX_BYTES = 16 * 1024 * 1024;

/** An insertion-ordered map of serialized bodies bounded by their total size in bytes. */
export class BodyCache {
  readonly #entries = new Map<string, { etag: string; text: string }>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  static sizeOf(key: string, value: { etag: string; text: string }): number {
    return 2 * (key.length + value.etag.length + value.text.length);
  }

  /** Bytes held now (≤ `maxBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): { etag: string; text: string } | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: { etag: string; text: string }): void {
    this.delete(key);
    const size = BodyCache.sizeOf(key, value);
    if (size > this.maxBytes) return;
    for (const [k] of this.#entries) {
      if (this.#bytes + size <= this.maxBytes) break;
      this.delete(k);
    }
    this.#entries.set(key, value);
    this.#bytes += size;
  }

  delete(key: string): void {
    const old = this.#entries.get(key);
    if (old === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= BodyCache.sizeOf(key, old);
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

export function buildRoutes(deps: RouteDeps): readonly Route[] {
  const { state, explanations, metrics } = deps;

  const ready = (): RouteResponse => {
    const r = state.readiness();
    const model = state.model.current;
    const expected = state.expected.current;
    const skew = [state.builderAlignment(), state.panelAlignment()].flatMap((a) => a?.missing ?? []);
    const panelErrors = Object.values(state.panelErrors).filter((e): e is string => e !== null);
    const panelError = panelErrors.length === 0 ? null : [...new Set(panelErrors)].join("; ");
    const body: S.ReadyResponse = {
      status: r.ready ? "ready" : "not_ready",
      model_loaded: model !== null ? "true" : "false",
      expected_available: expected !== null ? "true" : "false",
      features_available: state.features.current !== null ? "true" : "false",
      ...(r.reason !== null ? { reason: r.reason } : {}),
      as_of: expected?.value.asOf ?? null,
      model_sha256: model?.sha256 ?? null,
      model_source: state.model.path,
      ...(model?.origin?.etag !== undefined && { model_etag: model.origin.etag }),
      ...(model?.origin?.versionId !== undefined && { model_version_id: model.origin.versionId }),
      ...(model !== null && { model_loaded_at: model.loadedAt.toISOString() }),
      ...(model?.origin?.registry !== undefined && { model_registry: registryReport(model.origin.registry) }),
      ...(state.modelError !== null && { model_error: state.modelError }),
      panel_source: state.expected.path,
      ...(panelError !== null && { panel_error: panelError }),
      ...(skew.length > 0 ? { feature_skew: [...new Set(skew)] } : {}),
    };
    return { status: r.ready ? 200 : 503, body };
  };

  // Serialized /score_expected bodies per ticker selection, for the panel in `bodiesFor`.
  let bodiesFor = "";
  const bodies = new BodyCache(BODY_CACHE_MAX_BYTES);

  const scoreExpected = (tickers: readonly string[] | null, headers: IncomingHttpHeaders): RouteResponse => {
    const panel = state.expected.current;
    if (panel === null)
      throw new ApiError("not_ready", "expected panel not loaded", { path: state.expected.path });
    if (bodiesFor !== panel.sha256) {
      bodies.clear();
      bodiesFor = panel.sha256;
    }
    const selection = tickers === null ? "*" : tickers.join(",");
    let cached = bodies.get(selection);
    if (cached === undefined) {
      const { alpha: all, asOf } = panel.value;
      const alpha: Record<string, number | null> = {};
      if (tickers === null) for (const [t, v] of all) alpha[t] = finiteOrNull(v);
      else {
        const unknown = tickers.filter((t) => !all.has(t));
        if (unknown.length > 0)
          throw new ApiError("unknown_ticker", `unknown ticker(s): ${unknown.slice(0, 10).join(", ")}`, {
            unknown: unknown.slice(0, 100),
          });
        for (const t of tickers) alpha[t] = finiteOrNull(all.get(t)!);
      }
      cached = { etag: expectedEtag(panel.sha256, tickers), text: JSON.stringify({ alpha, as_of: asOf }) };
      bodies.set(selection, cached);
    }
    const cacheHeaders = { ETag: cached.etag, "Cache-Control": "no-cache" };
    if (etagMatches(headerString(headers["if-none-match"]), cached.etag))
      return { status: 304, headers: cacheHeaders };
    return { status: 200, text: cached.text, contentType: "application/json", headers: cacheHeaders };
  };

  const scoreExpectedDoc = (request: boolean): RouteDoc => ({
    summary: "Alphas from the latest expected panel (ETag / If-None-Match → 304)",
    ...(request ? { request: S.ScoreExpectedRequest } : { query: S.ScoreExpectedQuery }),
    response: S.ScoreExpectedResponse,
    errors: request ? [400, 404, 413, 415, 503] : [400, 404, 503],
  });

  return [
    {
      path: "/health",
      public: true,
      methods: {
        GET: {
          handler: () => ({ status: 200, body: { status: "ok" } }),
          doc: { summary: "Liveness: the process answers", response: S.HealthResponse, errors: [] },
        },
      },
    },
    {
      path: "/ready",
      public: true,
      methods: {
        GET: {
          handler: ready,
          doc: {
            summary: "Readiness: panel loaded (and model, unless readinessRequiresModel=false)",
            response: S.ReadyResponse,
            errors: [503],
            errorBodies: { 503: S.ReadyResponse },
          },
        },
      },
    },
    {
      path: "/score",
      public: false,
      methods: {
        POST: {
          body: "required",
          handler: async (req) => {
            const { prices } =
              fastScoreRequest(req.body) ?? validate(S.ScoreRequest, req.body, "request body");
            S.checkPriceCells(prices);
            return { status: 200, body: { alpha: await explanations.score(prices) } };
          },
          doc: {
            summary:
              "Score tickers from posted closing prices (features built with the pipeline's feature set)",
            request: S.ScoreRequest,
            response: S.ScoreResponse,
            errors: [400, 413, 415, 503],
          },
        },
      },
    },
    {
      path: "/score_expected",
      public: false,
      methods: {
        POST: {
          body: "optional",
          handler: (req) => {
            const { tickers } = validate(S.ScoreExpectedRequest, req.body, "request body");
            return scoreExpected(tickers ?? null, req.headers);
          },
          doc: scoreExpectedDoc(true),
        },
        GET: {
          handler: (req) => {
            const q = validate(S.ScoreExpectedQuery, Object.fromEntries(req.query), "query");
            const list =
              q.tickers === undefined
                ? null
                : q.tickers
                    .split(",")
                    .map((t) => t.trim())
                    .filter((t) => t.length > 0);
            const tickers =
              list === null ? null : validate(z.array(S.Ticker).max(S.MAX_TICKERS), list, "tickers");
            return scoreExpected(tickers, req.headers);
          },
          doc: scoreExpectedDoc(false),
        },
      },
    },
    {
      path: "/explain_local",
      public: false,
      methods: {
        POST: {
          body: "required",
          handler: async (req) => {
            const r =
              fastExplainLocalRequest(req.body) ?? validate(S.ExplainLocalRequest, req.body, "request body");
            if (r.prices != null) {
              S.checkPriceCells(r.prices);
              return {
                status: 200,
                body: localResponse(
                  r.ticker,
                  await explanations.localFromPrices(r.ticker, r.prices),
                  r.top_k,
                  "prices",
                  null,
                ),
              };
            }
            const e = await explanations.localFromPanel(r.ticker);
            const asOf = state.expected.current?.value.asOf ?? null;
            return { status: 200, body: localResponse(r.ticker, e, r.top_k, "panel", asOf) };
          },
          doc: {
            summary:
              "SHAP explanation of one ticker (stored panel row, or posted prices); base_value + Σ shap = prediction",
            request: S.ExplainLocalRequest,
            response: S.ExplainLocalResponse,
            errors: [400, 404, 413, 415, 503],
          },
        },
      },
    },
    {
      path: "/explain",
      public: false,
      methods: {
        GET: {
          handler: async (req) => {
            const q = validate(S.ExplainQuery, Object.fromEntries(req.query), "query");
            const asOf = state.expected.current?.value.asOf ?? null;
            let importance: Record<string, number>;
            let rows: number;
            if (q.type === "shap") {
              const g = await explanations.globalShap();
              importance = g.meanAbs;
              rows = g.rows;
            } else {
              importance = explanations.modelImportance(q.type);
              rows = 0;
            }
            const sorted = Object.entries(importance).sort((a, b) => b[1] - a[1]);
            const feature_importance = Object.fromEntries(
              q.top_k === undefined ? sorted : sorted.slice(0, q.top_k),
            );
            const method = q.type === "shap" ? "mean_abs_shap" : q.type;
            return { status: 200, body: { feature_importance, method, as_of: asOf, rows } };
          },
          doc: {
            summary:
              "Global importance: mean |SHAP| over the panel (cached), or ?type=gain|split from the model",
            query: S.ExplainQuery,
            response: S.ExplainResponse,
            errors: [400, 503],
          },
        },
      },
    },
    {
      path: "/metrics",
      public: true,
      methods: {
        GET: {
          handler: async () => ({
            status: 200,
            text: await metrics.registry.metrics(),
            contentType: metrics.registry.contentType,
          }),
          doc: { summary: "Prometheus metrics", response: "text", errors: [] },
        },
      },
    },
    {
      path: "/openapi.json",
      public: false,
      methods: {
        GET: {
          handler: () => ({ status: 200, body: deps.openapi() }),
          doc: { summary: "This document", response: z.record(z.string(), z.unknown()), errors: [] },
        },
      },
    },
  ];
}

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(",") : v;
}

/** The registered version as /ready reports it (snake_case, like the rest of the API). */
function registryReport(v: RegistryVersion): NonNullable<S.ReadyResponse["model_registry"]> {
  return {
    name: v.name,
    ...(v.alias !== undefined && { alias: v.alias }),
    version: v.version,
    ...(v.runId !== undefined && { run_id: v.runId }),
  };
}
