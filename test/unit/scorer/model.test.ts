import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FEATURE_NAMES_V1 } from "../../../src/features/index.js";
import { encodeExpectedPanel, encodePanelFeatures } from "../../../src/panel/index.js";
import { realSources } from "../../../src/scorer/wiring.js";
import { loadExplainableModel } from "../../../src/treeshap/model.js";
import { makeDataDir, startScorer, until, type DataDir, type Running } from "./fakes.js";

/**
 * The scorer end to end on the real modules: the sample LightGBM and XGBoost
 * models (config/samples, trained on feature set v1 by tools/sample) through
 * the WASM TreeSHAP core, a Parquet panel written by the pipeline's encoder.
 */

const SAMPLES = fileURLToPath(new URL("../../../../config/samples/data/models/", import.meta.url));
const sources = realSources(loadExplainableModel);
const TICKERS = Array.from({ length: 20 }, (_, i) => `TK${i}`);

function seededValues(n: number): Float64Array {
  let s = 12345;
  return Float64Array.from({ length: n }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return i % 37 === 5 ? NaN : (s / 2147483648) * 2 - 1;
  });
}

let data: DataDir;
let s: Running;

beforeAll(async () => {
  data = await makeDataDir();
  await mkdir(join(data.dir, "models"), { recursive: true });
  await copyFile(join(SAMPLES, "lightgbm/model.txt"), join(data.dir, "models/model.txt"));
  const nf = FEATURE_NAMES_V1.length;
  await data.write(
    "expected/features_latest.parquet",
    encodePanelFeatures({
      asOf: "2026-11-27",
      featureSet: "v1",
      tickers: TICKERS,
      featureNames: FEATURE_NAMES_V1,
      values: seededValues(TICKERS.length * nf),
    }),
  );
  await data.write(
    "expected/expected_latest.parquet",
    encodeExpectedPanel({
      asOf: "2026-11-27",
      tickers: TICKERS,
      alpha: Float64Array.from(TICKERS, (_, i) => i / 100),
    }),
  );
  s = await startScorer(data.dir, {}, sources);
});

afterAll(async () => {
  await s.stop();
  await data.cleanup();
});

interface Local {
  top_features: [string, number][];
  base_value: number;
  prediction: number;
  other_shap: number;
}

const explainLocal = async (body: object): Promise<{ status: number; body: Local }> => {
  const res = await fetch(`${s.url}/explain_local`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Local };
};

test("loads the sample LightGBM model: ready, model_info", async () => {
  expect((await fetch(`${s.url}/ready`)).status).toBe(200);
  const text = await (await fetch(`${s.url}/metrics`)).text();
  expect(text).toMatch(
    /maie_model_info\{format="lightgbm",sha256="[0-9a-f]{64}",trees="100",features="22"\} 1/,
  );
});

test("explain_local: base_value + Σ shap = prediction for every ticker (1e-9 relative)", async () => {
  for (const ticker of TICKERS) {
    const { status, body } = await explainLocal({ ticker, top_k: 1000 });
    expect(status).toBe(200);
    expect(body.top_features).toHaveLength(FEATURE_NAMES_V1.length);
    const total = body.top_features.reduce((a, [, v]) => a + v, body.base_value);
    expect(Math.abs(total - body.prediction)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(body.prediction)));
    expect(body.other_shap).toBe(0);
  }
});

test("/explain is the mean |SHAP| of the per-ticker explanations", async () => {
  const sums = new Map<string, number>();
  for (const ticker of TICKERS) {
    const { body } = await explainLocal({ ticker, top_k: 1000 });
    for (const [f, v] of body.top_features) sums.set(f, (sums.get(f) ?? 0) + Math.abs(v));
  }
  const res = (await (await fetch(`${s.url}/explain`)).json()) as {
    feature_importance: Record<string, number>;
    rows: number;
  };
  expect(res.rows).toBe(TICKERS.length);
  for (const [f, sum] of sums) expect(res.feature_importance[f]).toBeCloseTo(sum / TICKERS.length, 12);
  const gain = (await (await fetch(`${s.url}/explain?type=gain`)).json()) as { feature_importance: object };
  expect(Object.keys(gain.feature_importance)).toHaveLength(FEATURE_NAMES_V1.length);
});

test("/score and /explain_local on posted prices agree", async () => {
  const prices: Record<string, number[]> = {};
  for (let k = 0; k < 6; k++)
    prices[`P${k}`] = Array.from(
      { length: 300 },
      (_, i) => 50 * Math.exp(0.0005 * (k - 2) * i + 0.02 * Math.sin(i / (k + 3))),
    );
  const res = await fetch(`${s.url}/score`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prices }),
  });
  expect(res.status).toBe(200);
  const { alpha } = (await res.json()) as { alpha: Record<string, number> };
  expect(Object.keys(alpha)).toEqual(Object.keys(prices));
  const { body } = await explainLocal({ ticker: "P3", prices, top_k: 1000 });
  expect(body.prediction).toBeCloseTo(alpha.P3!, 12);
});

test("hot reload: LightGBM → XGBoost under load with zero failures; a corrupt file keeps XGBoost serving", async () => {
  let stop = false;
  const statuses: number[] = [];
  const worker = async () => {
    while (!stop) statuses.push((await explainLocal({ ticker: "TK3" })).status);
  };
  const workers = Array.from({ length: 4 }, worker);
  const before = s.scorer.state.model.current!.sha256;
  await copyFile(join(SAMPLES, "xgboost/model.xgb.json"), join(data.dir, "models/.incoming"));
  const { rename } = await import("node:fs/promises");
  await rename(join(data.dir, "models/.incoming"), join(data.dir, "models/model.txt"));
  await until(() => s.scorer.state.model.current!.sha256 !== before);
  await until(() => statuses.length > 20);
  const xgb = s.scorer.state.model.current!.sha256;
  const text = await readFile(join(SAMPLES, "xgboost/model.xgb.json"), "utf8");
  await data.write("models/model.txt", text.slice(0, text.length / 2));
  const failures = async () =>
    Number(
      /^maie_model_reload_failures_total (\d+)/m.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1],
    );
  await until(async () => (await failures()) === 1);
  const mark = statuses.length;
  await until(() => statuses.length > mark + 20);
  stop = true;
  await Promise.all(workers);
  expect(new Set(statuses)).toEqual(new Set([200]));
  expect(s.scorer.state.model.current!.sha256).toBe(xgb);
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  expect(metrics).toMatch(/maie_model_info\{format="xgboost",/);
  const { body } = await explainLocal({ ticker: "TK7", top_k: 1000 });
  const total = body.top_features.reduce((a, [, v]) => a + v, body.base_value);
  expect(Math.abs(total - body.prediction)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(body.prediction)));
});

test("the background SHAP table of the panel gives exactly the on-demand explanations", async () => {
  await copyFile(join(SAMPLES, "lightgbm/model.txt"), join(data.dir, "models/model.txt")); // after the corrupt one above
  const fresh = await startScorer(data.dir, {}, sources);
  const uncached = await startScorer(data.dir, { explainCacheSize: "0" }, sources);
  try {
    await until(() => fresh.scorer.explanations.panelProgress?.remaining === 0);
    expect(uncached.scorer.explanations.panelProgress).toBeNull();
    for (const ticker of TICKERS) {
      const ask = async (r: Running) =>
        (
          await fetch(`${r.url}/explain_local`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ ticker, top_k: 5 }),
          })
        ).json();
      expect(await ask(fresh)).toEqual(await ask(uncached));
    }
    const g1 = await (await fetch(`${fresh.url}/explain`)).json();
    const g2 = (await (await fetch(`${uncached.url}/explain`)).json()) as {
      feature_importance: Record<string, number>;
    };
    for (const [f, v] of Object.entries((g1 as typeof g2).feature_importance))
      expect(v).toBeCloseTo(g2.feature_importance[f]!, 14);
  } finally {
    await fresh.stop();
    await uncached.stop();
  }
});
