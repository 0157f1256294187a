import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareSampleData, startScorerProcess, type ScorerProcess } from "../../../bench/scorer/soak-lib.js";
import { computeFeatures, MAX_LOOKBACK_V1, panelFromCloseArrays } from "../../../src/features/index.js";
import { BODY_CACHE_MAX_BYTES, BodyCache } from "../../../src/scorer/routes.js";
import { MAX_PRICE_CELLS, MAX_TICKERS, MAX_PRICES_PER_TICKER } from "../../../src/scorer/schemas.js";

/**
 * Bounded work per request (docs/security.md, "Limits"): the one-request
 * attack of the security review — one ticker of MAX_PRICES_PER_TICKER closes
 * beside MAX_TICKERS - 1 one-close tickers, a ~0.5 MB body that padding made
 * a 1.6 GB panel — replayed against a real `maie scorer` process on loopback.
 */

const MiB = 1024 * 1024;

/** Peak and current resident set of a process, in MiB, from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) / 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** The attack body: one long ticker, every other ticker one close. */
function attackBody(): string {
  const prices: Record<string, number[]> = {
    LONG: Array.from({ length: MAX_PRICES_PER_TICKER }, (_, i) => 100 + (i % 7)),
  };
  for (let i = 1; i < MAX_TICKERS; i++) prices[`T${i}`] = [1];
  return JSON.stringify({ ticker: "LONG", prices });
}

/** A normal request: a few tickers with a year and a half of closes. */
function normalPrices(): Record<string, number[]> {
  const prices: Record<string, number[]> = {};
  for (const [k, t] of ["AAA", "BBB", "CCC", "DDD"].entries())
    prices[t] = Array.from({ length: 400 }, (_, i) => 50 + k * 10 + Math.sin(i / (5 + k)) * 3 + i * 0.01);
  return prices;
}

describe("one request cannot exhaust the scorer's memory", () => {
  let dir: string;
  let s: ScorerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "maie-bounds-"));
    s = await startScorerProcess(prepareSampleData(dir).dataDir);
  });

  afterAll(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: string) =>
    fetch(`${s.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });

  test("the attack on /score and /explain_local is a 413 naming MAX_PRICE_CELLS; RSS stays flat", async () => {
    const body = attackBody();
    expect(body.length).toBeLessThan(MiB); // under the default body limit: the cell cap is what stops it
    const pid = s.child.pid!;
    const before = memory(pid);
    for (const path of ["/score", "/explain_local"]) {
      const res = await post(path, body);
      expect(res.status).toBe(413);
      const { error } = (await res.json()) as {
        error: { code: string; message: string; details: Record<string, unknown> };
      };
      expect(error.code).toBe("payload_too_large");
      expect(error.message).toContain("MAX_PRICE_CELLS");
      expect(error.details).toMatchObject({
        limit: "MAX_PRICE_CELLS",
        max: MAX_PRICE_CELLS,
        tickers: MAX_TICKERS,
        longest: MAX_PRICES_PER_TICKER,
      });
    }
    const after = memory(pid);
    // The peak over both requests: the padded panel alone would be 1.6 GB.
    expect(after.peak - Math.max(before.peak, before.rss)).toBeLessThan(100);
    expect(after.rss - before.rss).toBeLessThan(100);
  });

  test("afterwards the scorer answers /health and a normal /score", async () => {
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    const res = await post("/score", JSON.stringify({ prices: normalPrices() }));
    expect(res.status).toBe(200);
    const { alpha } = (await res.json()) as { alpha: Record<string, number | null> };
    expect(Object.keys(alpha).sort()).toEqual(["AAA", "BBB", "CCC", "DDD"]);
    for (const v of Object.values(alpha)) expect(typeof v).toBe("number");
  });

  test("a long history is cut to the features' lookback: same scores as the last MAX_LOOKBACK_V1 closes", async () => {
    const full = normalPrices();
    const cut = Object.fromEntries(Object.entries(full).map(([t, p]) => [t, p.slice(-MAX_LOOKBACK_V1)]));
    const score = async (prices: Record<string, number[]>) =>
      ((await (await post("/score", JSON.stringify({ prices }))).json()) as { alpha: unknown }).alpha;
    expect(await score(full)).toEqual(await score(cut));
  });
});

describe("panelFromCloseArrays(prices, maxHistory)", () => {
  test("cuts each series to its last maxHistory closes before padding", () => {
    const panel = panelFromCloseArrays({ A: [1, 2, 3, 4, 5], B: [9] }, 3);
    expect(panel.dates).toEqual(["d-2", "d-1", "d-0"]);
    expect(Array.from(panel.closes)).toEqual([3, 4, 5, NaN, NaN, 9]);
  });

  test("the attack's shape makes a tickers × MAX_LOOKBACK_V1 panel, and the features are unchanged", () => {
    const prices: Record<string, number[]> = {
      LONG: Array.from({ length: MAX_PRICES_PER_TICKER }, (_, i) => 100 + Math.sin(i)),
    };
    for (let i = 0; i < 50; i++)
      prices[`T${i}`] = Array.from({ length: 300 }, (_, k) => 10 + i + Math.cos(k));
    const cut = panelFromCloseArrays(prices, MAX_LOOKBACK_V1);
    expect(cut.closes.length).toBe(51 * MAX_LOOKBACK_V1);
    const a = computeFeatures(cut).values;
    const b = computeFeatures(panelFromCloseArrays(prices)).values;
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe("the /score_expected body cache is bounded in bytes", () => {
  const body = (n: number) => ({ etag: '"e"', text: "x".repeat(n) });

  test("BODY_CACHE_MAX_BYTES is the routes' budget", () => {
    expect(BODY_CACHE_MAX_BYTES).toBe(16 * MiB);
  });

  test("many selections never hold more than maxBytes; the oldest go first", () => {
    const cache = new BodyCache(10_000);
    for (let i = 0; i < 5_000; i++) {
      cache.set(`sel-${i}`, body(100 + (i % 300)));
      expect(cache.bytes).toBeLessThanOrEqual(10_000);
    }
    expect(cache.get("sel-0")).toBeUndefined();
    expect(cache.get("sel-4999")).toBeDefined();
    const sum = [...Array(5_000).keys()]
      .map((i) => `sel-${i}`)
      .reduce((acc, k) => acc + (cache.get(k) ? BodyCache.sizeOf(k, cache.get(k)!) : 0), 0);
    expect(sum).toBe(cache.bytes);
  });

  test("a body larger than the budget is not kept; replacing a key re-counts it", () => {
    const cache = new BodyCache(1_000);
    cache.set("big", body(1_000));
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    cache.set("k", body(100));
    cache.set("k", body(10));
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(BodyCache.sizeOf("k", body(10)));
    cache.clear();
    expect(cache.bytes).toBe(0);
  });
});
