import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { loadConfig, type ScorerConfig } from "../../../src/scorer/config.js";
import { Scorer } from "../../../src/scorer/server.js";
import {
  FeatureInputError,
  type ExpectedPanel,
  type FeatureBuilder,
  type FeatureMatrix,
  type ScorerSources,
} from "../../../src/scorer/sources.js";
import type { ExplainableModel } from "../../../src/treeshap/model.js";
import { writeFileAtomic } from "../../../src/util/atomic-write.js";

/**
 * Small stand-ins for the WASM core and the pipeline's Parquet/feature
 * modules, so the HTTP layer is tested on its own. The fake model is
 * linear: shap_j = w_j·x_j (NaN → 0), bias = b, so base + Σ shap = prediction
 * exactly and every number in a response can be checked by hand.
 */

export interface FakeModelFile {
  readonly features: readonly string[];
  readonly weights: readonly number[];
  readonly bias: number;
  readonly trees?: number;
}

export const FAKE_FEATURES = ["ret_1", "n_prices"] as const;

export class FakeModel implements ExplainableModel {
  readonly format = "fake";
  readonly numOutputs = 1;
  disposed = false;
  constructor(readonly file: FakeModelFile) {}
  get numTrees(): number {
    return this.file.trees ?? 1;
  }
  get featureNames(): readonly string[] {
    return this.file.features;
  }
  get expectedValue(): Float64Array {
    return Float64Array.of(this.file.bias);
  }
  shap(rows: Float64Array, nRows: number): Float64Array {
    if (this.disposed) throw new Error("use after dispose");
    const nf = this.file.features.length;
    const out = new Float64Array(nRows * (nf + 1));
    for (let i = 0; i < nRows; i++) {
      for (let j = 0; j < nf; j++) {
        const x = rows[i * nf + j]!;
        out[i * (nf + 1) + j] = Number.isNaN(x) ? 0 : this.file.weights[j]! * x;
      }
      out[i * (nf + 1) + nf] = this.file.bias;
    }
    return out;
  }
  predict(rows: Float64Array, nRows: number): Float64Array {
    const nf = this.file.features.length;
    const phi = this.shap(rows, nRows);
    const out = new Float64Array(nRows);
    for (let i = 0; i < nRows; i++) {
      let s = 0;
      for (let j = 0; j <= nf; j++) s += phi[i * (nf + 1) + j]!;
      out[i] = s;
    }
    return out;
  }
  importance(type: "gain" | "split"): Record<string, number> {
    return Object.fromEntries(
      this.file.features.map((f, j) => [f, type === "gain" ? Math.abs(this.file.weights[j]!) : j + 1]),
    );
  }
  dispose(): void {
    this.disposed = true;
  }
}

export const fakeBuilder: FeatureBuilder = {
  version: "fake-v1",
  featureNames: FAKE_FEATURES,
  build(prices) {
    const tickers = Object.keys(prices);
    const values = new Float64Array(tickers.length * 2);
    tickers.forEach((t, i) => {
      const p = prices[t]!;
      if (p.length < 2)
        throw new FeatureInputError(`ticker ${t} needs at least 2 prices`, { ticker: t, min: 2 });
      values[i * 2] = p[p.length - 1]! / p[p.length - 2]! - 1;
      values[i * 2 + 1] = p.length;
    });
    return { featureNames: FAKE_FEATURES, tickers, values };
  },
};

function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
}

export const fakeSources: ScorerSources = {
  async loadModel(bytes) {
    const file = parseJson(bytes) as FakeModelFile;
    if (
      !Array.isArray(file.features) ||
      !Array.isArray(file.weights) ||
      file.features.length !== file.weights.length
    )
      throw new Error("fake model: features/weights mismatch");
    return new FakeModel(file);
  },
  async loadExpected(bytes): Promise<ExpectedPanel> {
    const raw = parseJson(bytes) as { as_of: string; alpha: Record<string, number> };
    if (typeof raw.as_of !== "string") throw new Error("fake panel: no as_of");
    return { asOf: raw.as_of, alpha: new Map(Object.entries(raw.alpha)) };
  },
  async loadFeatures(bytes): Promise<FeatureMatrix> {
    const raw = parseJson(bytes) as {
      featureNames: string[];
      tickers: string[];
      values: (number | null)[][];
    };
    return {
      featureNames: raw.featureNames,
      tickers: raw.tickers,
      values: Float64Array.from(raw.values.flat().map((v) => (v === null ? NaN : v))),
    };
  },
  features: fakeBuilder,
};

export const MODEL_A: FakeModelFile = {
  features: ["ret_1", "n_prices"],
  weights: [2, 0.01],
  bias: 0.5,
  trees: 3,
};
export const MODEL_B: FakeModelFile = {
  features: ["n_prices", "ret_1"],
  weights: [0.02, -1],
  bias: -0.25,
  trees: 7,
};
export const PANEL = { as_of: "2026-11-27", alpha: { AAA: 0.1, BBB: -0.2, CCC: 0.05 } };
export const FEATURES = {
  featureNames: ["n_prices", "ret_1", "extra"],
  tickers: ["AAA", "BBB", "CCC"],
  values: [
    [10, 0.01, 1],
    [20, -0.02, 2],
    [30, null, 3],
  ],
};

export interface DataDir {
  readonly dir: string;
  write(rel: string, content: unknown): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeDataDir(): Promise<DataDir> {
  const dir = await mkdtemp(join(tmpdir(), "maie-scorer-"));
  return {
    dir,
    async write(rel, content) {
      const bytes =
        typeof content === "string" || content instanceof Uint8Array ? content : JSON.stringify(content);
      await writeFileAtomic(join(dir, rel), bytes);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function writeStandardData(data: DataDir): Promise<void> {
  await data.write("models/model.txt", MODEL_A);
  await data.write("expected/expected_latest.parquet", PANEL);
  await data.write("expected/features_latest.parquet", FEATURES);
}

export function testConfig(dataDir: string, overrides: Record<string, string> = {}): ScorerConfig {
  return loadConfig(
    {},
    { dataDir, host: "127.0.0.1", port: "0", logLevel: "silent", watchPollMs: "50", ...overrides },
  );
}

export interface Running {
  readonly scorer: Scorer;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startScorer(
  dataDir: string,
  overrides: Record<string, string> = {},
  sources: ScorerSources = fakeSources,
  logger: Logger = pino({ level: "silent" }),
): Promise<Running> {
  const config = testConfig(dataDir, overrides);
  const scorer = new Scorer({ config, sources, logger, defaultMetrics: false });
  const address = await scorer.start();
  return { scorer, url: `http://127.0.0.1:${address.port}`, stop: () => scorer.shutdown(1000) };
}

/** Resolves when `predicate` holds, checking after each poll tick; no wall-clock limit (jest's own timeout applies). */
export async function until(predicate: () => boolean | Promise<boolean>, stepMs = 20): Promise<void> {
  while (!(await predicate())) await new Promise((r) => setTimeout(r, stepMs));
}

export async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}
