import fc from "fast-check";
import type { z } from "zod";
import * as S from "../../../src/scorer/schemas.js";
import { makeDataDir, PANEL, startScorer, writeStandardData, type DataDir, type Running } from "./fakes.js";

/**
 * Property tests of every request schema against a live server (fake model
 * and panel, so only HTTP + validation are under test): bodies and queries
 * built to be valid, then the same with one near-miss mutation. The oracle
 * is the zod schema itself: whatever it accepts the server answers 200 (or
 * 404 for a ticker the panel lacks), whatever it refuses is a 400
 * validation_failed, and nothing is ever a 5xx. fuzz.test.ts throws arbitrary
 * junk; this file stays close to the valid region, where the bugs hide.
 */

let data: DataDir;
let s: Running;

beforeAll(async () => {
  data = await makeDataDir();
  await writeStandardData(data);
  s = await startScorer(data.dir);
});

afterAll(async () => {
  await s.stop();
  await data.cleanup();
});

const PANEL_TICKERS = Object.keys(PANEL.alpha);

/** Valid tickers: panel names, and arbitrary strings the Ticker schema accepts. */
const anyTicker = fc.oneof(
  fc.constantFrom("A", "BRK.B", "ÆØÅ", "🚀", "x".repeat(64), "a-b_c:d/e"),
  fc.string({ minLength: 1, maxLength: 64, unit: "grapheme" }).filter((t) => S.Ticker.safeParse(t).success),
);
const price = fc.double({ min: 1e-9, max: 1e9, noNaN: true, noDefaultInfinity: true });
const prices = fc.dictionary(anyTicker, fc.array(price, { minLength: 2, maxLength: 40 }), {
  minKeys: 1,
  maxKeys: 5,
});

type Body = Record<string, unknown>;

const validScore = fc.record({ prices });
const validScoreExpected = fc.oneof(
  fc.constant({}),
  fc.record({ tickers: fc.constant(null) }),
  fc.record({ tickers: fc.uniqueArray(fc.constantFrom(...PANEL_TICKERS), { maxLength: 3 }) }),
);
const validExplainLocal = fc.oneof(
  fc.record(
    { ticker: fc.constantFrom(...PANEL_TICKERS), top_k: fc.integer({ min: 1, max: S.MAX_TOP_K }) },
    { requiredKeys: ["ticker"] },
  ),
  prices.chain((p) =>
    fc.record({
      ticker: fc.constantFrom(...Object.keys(p)),
      top_k: fc.integer({ min: 1, max: S.MAX_TOP_K }),
      prices: fc.constant(p),
    }),
  ),
);

/** One near miss: a value of the wrong type or just out of range, a key dropped or added, anywhere in the body. */
const NEAR_MISSES: unknown[] = [
  null,
  "",
  " ",
  "A B",
  "\u0000",
  "\u0085",
  "__proto__",
  "x".repeat(65),
  0,
  -1,
  -0,
  0.5,
  1.5,
  S.MAX_TOP_K + 1,
  1e308,
  true,
  [],
  {},
  [0],
  [-1, 2],
  [1],
  "10",
];

function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === "object")
    for (const [k, x] of Object.entries(v as Body)) paths(x, [...at, k], out);
  return out;
}

function nearMiss(body: Body, pick: number, value: number, op: "set" | "drop" | "add"): Body {
  const copy = structuredClone(body);
  const all = paths(copy);
  const path = all[pick % all.length]!;
  if (path.length === 0 || op === "add") {
    const parent = path.reduce<unknown>((v, k) => (v as Body)[k as string], copy);
    if (parent !== null && typeof parent === "object" && !Array.isArray(parent))
      (parent as Body)[["extra", "tickers", "prices", "ticker", "top_k"][value % 5]!] =
        NEAR_MISSES[value % NEAR_MISSES.length];
    return copy;
  }
  const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Body)[k as string], copy) as
    Body | unknown[];
  const key = path.at(-1)!;
  if (op === "drop") {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else Reflect.deleteProperty(parent, key);
  } else (parent as Body)[key as string] = NEAR_MISSES[value % NEAR_MISSES.length];
  return copy;
}

const mutation = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom("set", "drop", "add"));

async function postJson(path: string, body: unknown): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ...(json.error ? { code: json.error.code } : {}) };
}

/** Tickers the request names that the server will look up (panel or posted prices). */
function missingTicker(path: string, body: Body): boolean {
  if (path === "/score_expected") {
    const t = body.tickers;
    return Array.isArray(t) && t.some((x) => !PANEL_TICKERS.includes(x as string));
  }
  if (path === "/explain_local") {
    const p = body.prices as Record<string, unknown> | null | undefined;
    const known = p === undefined || p === null ? PANEL_TICKERS : Object.keys(p);
    return !known.includes(body.ticker as string);
  }
  return false;
}

/** The server's answer agrees with the schema: accepted → 200 (404 for an unknown ticker), refused → 400. */
async function agrees(path: string, schema: z.ZodType, body: Body): Promise<void> {
  const verdict = schema.safeParse(body);
  const got = await postJson(path, body);
  expect(got.status).toBeLessThan(500);
  if (!verdict.success) {
    expect({ body, got }).toEqual({ body, got: { status: 400, code: "validation_failed" } });
    return;
  }
  const parsed = verdict.data as Body;
  // Beyond the schema, the feature builder needs history: the fake one two closes.
  const posted = parsed.prices as Record<string, number[]> | null | undefined;
  const short = posted !== null && posted !== undefined && Object.values(posted).some((p) => p.length < 2);
  if (missingTicker(path, parsed))
    expect({ body, got }).toEqual({ body, got: { status: 404, code: "unknown_ticker" } });
  else if (short) expect({ body, got }).toEqual({ body, got: { status: 400, code: "insufficient_history" } });
  else expect({ body, got: got.status }).toEqual({ body, got: 200 });
}

const ROUTES: [string, z.ZodType, fc.Arbitrary<Body>][] = [
  ["/score", S.ScoreRequest, validScore],
  ["/score_expected", S.ScoreExpectedRequest, validScoreExpected],
  ["/explain_local", S.ExplainLocalRequest, validExplainLocal],
];

describe("request schemas as properties", () => {
  test.each(ROUTES)(
    "POST %s: every valid body is 200 (the generator is checked against the schema)",
    async (path, schema, valid) => {
      await fc.assert(
        fc.asyncProperty(valid, async (body) => {
          expect(schema.safeParse(body).success).toBe(true);
          await agrees(path, schema, body);
        }),
        { numRuns: 120 },
      );
    },
  );

  test.each(ROUTES)(
    "POST %s: near-valid bodies get the schema's verdict, never a 5xx",
    async (path, schema, valid) => {
      const verdicts = { accepted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(valid, mutation, async (body, [pick, value, op]) => {
          const mutated = nearMiss(body, pick, value, op);
          verdicts[schema.safeParse(mutated).success ? "accepted" : "refused"]++;
          await agrees(path, schema, mutated);
        }),
        { numRuns: 200 },
      );
      // Near misses land on both sides of the schema's boundary.
      expect(verdicts.refused).toBeGreaterThan(20);
    },
  );

  test("GET /score_expected?tickers=: lists with blanks and empty items are 200, bad items 400, unknown 404", async () => {
    const item = fc.oneof(
      fc.constantFrom(...PANEL_TICKERS).map((t) => ({ t, known: true, valid: true })),
      fc.constantFrom("", " ", "\t").map((t) => ({ t, known: true, valid: true })),
      fc.constantFrom("ZZZ", "🚀").map((t) => ({ t, known: false, valid: true })),
      fc.constantFrom("A B", "\u0001", "\u00a0X\u0085").map((t) => ({ t, known: false, valid: false })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(item, { minLength: 1, maxLength: 5 }),
        fc.constantFrom("", " "),
        async (items, pad) => {
          const list = items.map((i) => `${pad}${i.t}${pad}`).join(",");
          expect(S.ScoreExpectedQuery.safeParse({ tickers: list }).success).toBe(items.every((i) => i.valid));
          const res = await fetch(`${s.url}/score_expected?tickers=${encodeURIComponent(list)}`);
          const expected = !items.every((i) => i.valid) ? 400 : !items.every((i) => i.known) ? 404 : 200;
          expect({ list, status: res.status }).toEqual({ list, status: expected });
          await res.arrayBuffer();
        },
      ),
      { numRuns: 150 },
    );
  });

  test("GET /explain?top_k=&type=: the query schema's verdict, never a 5xx", async () => {
    const topK = fc.oneof(
      fc.integer({ min: 1, max: S.MAX_TOP_K }).map(String),
      fc.constantFrom("0", "-1", "1.5", "abc", "", "1e3", "10001", " 5", "0x10", "Infinity"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.option(topK, { nil: undefined }),
        fc.option(fc.constantFrom("shap", "gain", "split", "SHAP", "", "x"), { nil: undefined }),
        async (k, type) => {
          const q = new URLSearchParams();
          if (k !== undefined) q.set("top_k", k);
          if (type !== undefined) q.set("type", type);
          const ok = S.ExplainQuery.safeParse(Object.fromEntries(q)).success;
          const res = await fetch(`${s.url}/explain?${q.toString()}`);
          expect({ q: q.toString(), status: res.status }).toEqual({
            q: q.toString(),
            status: ok ? 200 : 400,
          });
          await res.arrayBuffer();
        },
      ),
      { numRuns: 150 },
    );
  });
});
