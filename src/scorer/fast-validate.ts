import {
  ExplainLocalRequest,
  MAX_PRICES_PER_TICKER,
  MAX_TICKER_LENGTH,
  MAX_TICKERS,
  TICKER_PATTERN,
  type PricesInput,
  type ScoreRequest,
} from "./schemas.js";

/**
 * A fast path for the posted prices of `/score` and `/explain_local`.
 * Through zod, 20 tickers × 253 closes cost the main thread about 0.7 ms a
 * request (a schema object per number), a third of what the event loop
 * spends on such a request once the compute is on workers. Here the same
 * rules are one loop. What this accepts, zod accepts with the same value
 * (test/unit/scorer/fast-validate.test.ts checks it on random input);
 * anything else returns null and goes through zod, so every error message
 * is still zod's.
 */

function isPlainObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** `Prices` of schemas.ts, for input zod would accept without change; false means "ask zod". */
export function isValidPrices(x: unknown): x is PricesInput {
  if (!isPlainObject(x)) return false;
  const tickers = Object.keys(x);
  if (tickers.length < 1 || tickers.length > MAX_TICKERS) return false;
  for (const t of tickers) {
    if (t.length < 1 || t.length > MAX_TICKER_LENGTH || t === "__proto__" || !TICKER_PATTERN.test(t))
      return false;
    const closes = x[t];
    if (!Array.isArray(closes) || closes.length < 1 || closes.length > MAX_PRICES_PER_TICKER) return false;
    for (let i = 0; i < closes.length; i++) {
      const v: unknown = closes[i];
      if (typeof v !== "number" || !(v > 0) || v === Number.POSITIVE_INFINITY) return false;
    }
  }
  return true;
}

/** `ScoreRequest` parsed without zod when the fast path applies, else null. */
export function fastScoreRequest(body: unknown): ScoreRequest | null {
  return isPlainObject(body) && isValidPrices(body.prices) ? { prices: body.prices } : null;
}

const ExplainLocalRest = ExplainLocalRequest.omit({ prices: true });

/** `ExplainLocalRequest` with posted prices, zod checking all but the prices; null when the fast path does not apply. */
export function fastExplainLocalRequest(body: unknown): ExplainLocalRequest | null {
  if (!isPlainObject(body) || !isValidPrices(body.prices)) return null;
  const rest = ExplainLocalRest.safeParse(body);
  return rest.success ? { ...rest.data, prices: body.prices } : null;
}
