import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeFeatures, FEATURE_NAMES_V1, panelFromCloseArrays } from "../../../src/features/index.js";
import { realSources } from "../../../src/scorer/wiring.js";
import { fakeSources, json, makeDataDir, startScorer, type DataDir } from "./fakes.js";

/**
 * The scorer over the pipeline's real modules: the expected panel and the
 * features frame exactly as pandas writes them (test/fixtures/panel, made by
 * tools/sample/panel_fixture.py), and feature set v1 for posted prices. The
 * model is still the linear fake (the WASM core is tested in its own suite
 * and end to end in model.test.ts).
 */

const FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/panel/", import.meta.url));
const sources = realSources(fakeSources.loadModel);

let data: DataDir;
beforeEach(async () => {
  data = await makeDataDir();
  await mkdir(join(data.dir, "expected"), { recursive: true });
  await copyFile(
    join(FIXTURES, "expected_pandas.parquet"),
    join(data.dir, "expected/expected_latest.parquet"),
  );
  await copyFile(
    join(FIXTURES, "features_pandas.parquet"),
    join(data.dir, "expected/features_latest.parquet"),
  );
});
afterEach(async () => {
  await data.cleanup();
});

const prices = (n: number, drift: number) =>
  Array.from({ length: n }, (_, i) => 100 * Math.exp(drift * i + 0.01 * Math.sin(i)));

test("serves the pandas-written expected panel: alphas, date, ETag", async () => {
  const s = await startScorer(data.dir, { readinessRequiresModel: "false" }, sources);
  try {
    const r = await fetch(`${s.url}/ready`);
    expect(r.status).toBe(200);
    const res = await fetch(`${s.url}/score_expected?tickers=AAA,EEE,DDD`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      alpha: { AAA: 0.0123, EEE: -0.25, DDD: 1.5e-7 },
      as_of: "2026-11-27",
    });
    const etag = res.headers.get("etag")!;
    expect(
      (await fetch(`${s.url}/score_expected?tickers=AAA,EEE,DDD`, { headers: { "if-none-match": etag } }))
        .status,
    ).toBe(304);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain("maie_expected_tickers 5");
    expect(metrics).toContain('maie_expected_alpha_quantile{q="0"} -0.25');
  } finally {
    await s.stop();
  }
});

test("explains a row of the pandas-written features frame, NaN as null", async () => {
  await data.write("models/model.txt", { features: ["rsi_14", "ret_21d"], weights: [0.01, 1], bias: 0.1 });
  const s = await startScorer(data.dir, {}, sources);
  try {
    const res = await fetch(`${s.url}/explain_local`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ticker: "CCC" }),
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.feature_values).toEqual({ rsi_14: 50, ret_21d: null });
    expect(body.prediction).toBeCloseTo(0.1 + 0.5, 12);
  } finally {
    await s.stop();
  }
});

test("/score builds feature set v1 from posted prices, the same values the pipeline computes", async () => {
  const weights = FEATURE_NAMES_V1.map((_, j) => (j % 3) - 1);
  await data.write("models/model.txt", { features: FEATURE_NAMES_V1, weights, bias: 0 });
  const s = await startScorer(data.dir, {}, sources);
  try {
    const posted = { UP: prices(300, 0.001), DOWN: prices(300, -0.001), SHORT: prices(30, 0) };
    const res = await fetch(`${s.url}/score`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prices: posted }),
    });
    expect(res.status).toBe(200);
    const { alpha } = (await res.json()) as { alpha: Record<string, number> };
    const m = computeFeatures(panelFromCloseArrays(posted));
    for (const [r, t] of m.tickers.entries()) {
      let expected = 0;
      FEATURE_NAMES_V1.forEach((_, j) => {
        const x = m.values[r * FEATURE_NAMES_V1.length + j]!;
        if (!Number.isNaN(x)) expected += weights[j]! * x;
      });
      expect(alpha[t]).toBeCloseTo(expected, 9);
    }
  } finally {
    await s.stop();
  }
});

test("a model trained on other feature names is a clear feature_skew error", async () => {
  await data.write("models/model.txt", { features: ["Column_0", "Column_1"], weights: [1, 1], bias: 0 });
  const s = await startScorer(data.dir, {}, sources);
  try {
    const res = await fetch(`${s.url}/score`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prices: { A: prices(10, 0) } }),
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { missing: string[] } };
    };
    expect(body.error.code).toBe("feature_skew");
    expect(body.error.message).toMatch(/feature set v1/);
    expect(body.error.details.missing).toEqual(["Column_0", "Column_1"]);
  } finally {
    await s.stop();
  }
});
