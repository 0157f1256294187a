import { z } from "zod";
import { ApiError, ERROR_STATUS } from "./errors.js";

/**
 * Request and response shapes of the scorer API: the validators for input
 * and, through `z.toJSONSchema`, the source of `/openapi.json`. Field names
 * are the original MAIE API's (snake_case).
 */

export const MAX_TICKERS = 20_000;
export const MAX_PRICES_PER_TICKER = 10_000;
export const MAX_TOP_K = 10_000;
/**
 * Posted price cells, tickers × the longest posted series: the panel the
 * request would be padded to. Past it a 413 `payload_too_large`: one
 * 10,000-close ticker beside 19,999 one-close tickers (a 0.5 MB body) is
 * 200M cells. Only the last `MAX_LOOKBACK_V1` (253) closes are used, so a
 * client never needs more than 20,000 × 253 ≈ 5.1M.
 */
export const MAX_PRICE_CELLS = 5_000_000;

/** Throws 413 `payload_too_large` when `prices` spans more than {@link MAX_PRICE_CELLS} cells. */
export function checkPriceCells(prices: Readonly<Record<string, readonly number[]>>): void {
  const tickers = Object.keys(prices);
  let longest = 0;
  for (const t of tickers) longest = Math.max(longest, prices[t]!.length);
  const cells = tickers.length * longest;
  if (cells > MAX_PRICE_CELLS)
    throw new ApiError(
      "payload_too_large",
      `prices span ${tickers.length} tickers × ${longest} closes = ${cells} cells, over MAX_PRICE_CELLS (${MAX_PRICE_CELLS}): send each ticker's most recent closes only`,
      { limit: "MAX_PRICE_CELLS", max: MAX_PRICE_CELLS, cells, tickers: tickers.length, longest },
    );
}

/**
 * JavaScript's `\s` plus the control characters (`\p{Cc}`), spelled out as
 * code-point ranges: the pattern lands in /openapi.json, and clients that
 * validate or generate from it (schemathesis, Python's `re`) know neither
 * `\p{..}` nor JavaScript's exact `\s`.
 */
const SPACE = "\\t-\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
const NOT_IN_TICKER = `\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff`;
const TICKER_CHARS = `[^${NOT_IN_TICKER}]`;
export const TICKER_PATTERN = new RegExp(`^${TICKER_CHARS}+$`);
export const MAX_TICKER_LENGTH = 64;

export const Ticker = z
  .string()
  .min(1)
  .max(MAX_TICKER_LENGTH)
  .regex(TICKER_PATTERN, "no whitespace or control characters")
  .refine((t) => t !== "__proto__", "reserved name")
  .meta({ description: "Ticker symbol", example: "AAPL" });

const Price = z.number().positive().meta({ description: "A positive closing price" });

export const Prices = z
  .record(Ticker, z.array(Price).min(1).max(MAX_PRICES_PER_TICKER))
  .refine((p) => Object.keys(p).length >= 1, "at least one ticker")
  .refine((p) => Object.keys(p).length <= MAX_TICKERS, `at most ${MAX_TICKERS} tickers`)
  // The refinements above are invisible to z.toJSONSchema; state them for /openapi.json.
  .meta({
    description: "Closing prices per ticker, oldest first, equally spaced trading days",
    minProperties: 1,
    maxProperties: MAX_TICKERS,
  });

export const ScoreRequest = z.object({ prices: Prices });

export const ScoreExpectedRequest = z.object({
  tickers: z
    .array(Ticker)
    .max(MAX_TICKERS)
    .nullish()
    .meta({ description: "Tickers to return; all when omitted" }),
});

export const TopK = z.coerce.number().int().min(1).max(MAX_TOP_K);

export const ExplainLocalRequest = z.object({
  ticker: Ticker,
  top_k: z.number().int().min(1).max(MAX_TOP_K).default(10),
  prices: Prices.nullish().meta({
    description: "Explain features built from these prices instead of the stored panel row",
  }),
});

/** One item of `?tickers=`: blanks around a ticker are trimmed, empty items skipped (as the handler does). */
const QUERY_ITEM = `[${SPACE}]*(?:[^${NOT_IN_TICKER},]{1,64}[${SPACE}]*)?`;

export const ScoreExpectedQuery = z.object({
  tickers: z
    .string()
    .max(MAX_TICKERS * 65)
    .regex(new RegExp(`^${QUERY_ITEM}(?:,${QUERY_ITEM})*$`), "comma-separated tickers")
    .optional()
    .meta({ description: "Comma-separated tickers; all when omitted" }),
});

export const ExplainQuery = z.object({
  top_k: TopK.optional().meta({ description: "Return only the k most important features" }),
  type: z
    .enum(["shap", "gain", "split"])
    .default("shap")
    .meta({ description: "shap: mean |SHAP| over the panel; gain/split: from the model file" }),
});

const NullableNumber = z.number().nullable();

export const HealthResponse = z.object({ status: z.literal("ok") });

export const ReadyResponse = z.object({
  status: z.enum(["ready", "not_ready"]),
  model_loaded: z.enum(["true", "false"]),
  expected_available: z.enum(["true", "false"]),
  features_available: z.enum(["true", "false"]),
  reason: z.string().optional(),
  as_of: z.string().nullable(),
  model_sha256: z.string().nullable(),
  model_source: z.string().optional().meta({ description: "Where the model came from (path or URI)" }),
  model_etag: z.string().optional().meta({ description: "ETag of the object served (URI models)" }),
  model_version_id: z.string().optional().meta({ description: "Object version served (versioned buckets)" }),
  model_loaded_at: z.string().optional().meta({ description: "When the served model was loaded (RFC 3339)" }),
  model_registry: z
    .object({
      name: z.string(),
      alias: z.string().optional(),
      version: z.string(),
      run_id: z.string().optional(),
    })
    .optional()
    .meta({ description: "The MLflow registered model version served (models:/ URIs)" }),
  model_error: z
    .string()
    .optional()
    .meta({ description: "Why the newest model could not be loaded (the served one, if any, stays)" }),
  panel_source: z.string().optional().meta({
    description: "Where the panels come from: the expected panel's path, or the store's pointer URI",
  }),
  panel_error: z.string().optional().meta({
    description:
      "Why the newest expected or features panel could not be loaded (the served ones, if any, stay)",
  }),
  feature_skew: z.array(z.string()).optional(),
});

export const ScoreResponse = z.object({ alpha: z.record(z.string(), NullableNumber) });

export const ScoreExpectedResponse = z.object({
  alpha: z.record(z.string(), NullableNumber),
  as_of: z.string().meta({ description: "ISO date of the panel" }),
});

export const ExplainLocalResponse = z.object({
  ticker: z.string(),
  top_features: z.array(z.tuple([z.string(), z.number()])),
  base_value: z.number(),
  prediction: z.number(),
  feature_values: z.record(z.string(), NullableNumber),
  other_shap: z.number().meta({ description: "Sum of the SHAP values not in top_features" }),
  source: z.enum(["panel", "prices"]),
  as_of: z.string().nullable(),
});

export const ExplainResponse = z.object({
  feature_importance: z.record(z.string(), z.number()),
  method: z.enum(["mean_abs_shap", "gain", "split"]),
  as_of: z.string().nullable(),
  rows: z.number().int(),
});

export const ErrorResponse = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
    message: z.string(),
    details: z.unknown(),
  }),
});

export type ScoreRequest = z.output<typeof ScoreRequest>;
export type ExplainLocalRequest = z.output<typeof ExplainLocalRequest>;
export type PricesInput = z.output<typeof Prices>;
export type ReadyResponse = z.output<typeof ReadyResponse>;
export type ExplainLocalResponse = z.output<typeof ExplainLocalResponse>;
export type ExplainResponse = z.output<typeof ExplainResponse>;
