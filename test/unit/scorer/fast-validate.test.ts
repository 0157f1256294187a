import fc from "fast-check";
import {
  fastExplainLocalRequest,
  fastScoreRequest,
  isValidPrices,
} from "../../../src/scorer/fast-validate.js";
import * as S from "../../../src/scorer/schemas.js";

/**
 * The fast prices check against its oracle, the zod schema: whatever the
 * fast path accepts, zod accepts with the same value, and it does accept
 * ordinary valid posts (else it would never be used). Inputs go through
 * JSON, as request bodies do.
 */

const viaJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

const ticker = fc.oneof(
  fc.constantFrom(
    "A",
    "BRK.B",
    "ÆØÅ",
    "🚀",
    "x".repeat(64),
    "x".repeat(65),
    "",
    " A",
    "A\u0000",
    "__proto__",
  ),
  fc.string({ minLength: 0, maxLength: 70, unit: "grapheme" }),
);
const close = fc.oneof(
  fc.double({ min: 1e-9, max: 1e9, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, -0, Number.MIN_VALUE, 1e308, Number.NaN),
  fc.constantFrom<unknown>("1", null, true, [], {}),
);
const closes = fc.oneof(
  fc.array(close, { minLength: 0, maxLength: 6 }),
  fc.constantFrom<unknown>(null, "1,2", { 0: 1 }, 5),
);
const nearPrices = fc.oneof(
  fc.dictionary(ticker, closes, { minKeys: 0, maxKeys: 4 }),
  fc.constantFrom<unknown>(null, [], [[1]], "prices", 1),
);

const validTicker = fc
  .string({ minLength: 1, maxLength: 64, unit: "grapheme" })
  .filter((t) => S.Ticker.safeParse(t).success);
const validPrices = fc.dictionary(
  validTicker,
  fc.array(fc.double({ min: 1e-9, max: 1e9, noNaN: true, noDefaultInfinity: true }), {
    minLength: 1,
    maxLength: 20,
  }),
  { minKeys: 1, maxKeys: 5 },
);

test("what the fast check accepts, zod accepts with the same value", () => {
  fc.assert(
    fc.property(nearPrices, (raw) => {
      const x = viaJson(raw);
      if (!isValidPrices(x)) return;
      const parsed = S.Prices.safeParse(x);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(x);
    }),
    { numRuns: 2000 },
  );
});

test("ordinary valid prices take the fast path", () => {
  fc.assert(
    fc.property(validPrices, (raw) => {
      expect(isValidPrices(viaJson(raw))).toBe(true);
    }),
  );
});

test("fast request parses equal zod's, and defer to zod whenever anything is off", () => {
  const body = fc.record(
    {
      ticker: fc.oneof(validTicker, ticker),
      top_k: fc.oneof(
        fc.integer({ min: -2, max: S.MAX_TOP_K + 2 }),
        fc.constantFrom<unknown>(2.5, "3", null),
      ),
      prices: fc.oneof(validPrices, nearPrices),
      extra: fc.constant(1),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(body, (raw) => {
      const b = viaJson(raw);
      const fastLocal = fastExplainLocalRequest(b);
      if (fastLocal !== null) expect(fastLocal).toEqual(S.ExplainLocalRequest.parse(b));
      const fastScore = fastScoreRequest(b);
      if (fastScore !== null) expect(fastScore).toEqual(S.ScoreRequest.parse(b));
    }),
    { numRuns: 2000 },
  );
  // The examples the routes see most: both fast paths apply.
  const post = { ticker: "AAA", prices: { AAA: [1, 2], BBB: [3] } };
  expect(fastExplainLocalRequest(post)).toEqual({ ticker: "AAA", top_k: 10, prices: post.prices });
  expect(fastScoreRequest({ prices: post.prices })).toEqual({ prices: post.prices });
  expect(fastScoreRequest({ prices: { AAA: [1, 0] } })).toBeNull();
});
