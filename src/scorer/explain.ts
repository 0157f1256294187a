import { ApiError } from "./errors.js";
import type { ScorerState, Alignment } from "./state.js";
import { FeatureInputError, type FeatureMatrix, type ScoringModel } from "./sources.js";
import type { PricesInput } from "./schemas.js";
import type { Loaded } from "./reload.js";

/**
 * Scoring and explanations over the current state: features → model rows
 * (gathered into the model's feature order), one batch call into the core,
 * and the caches (local explanations keyed by model hash + panel date +
 * features hash + ticker; global importance keyed by model and features
 * hashes). Multi-output models are reported on output 0.
 */

export interface LocalExplanation {
  readonly featureNames: readonly string[];
  readonly values: Float64Array;
  readonly shap: Float64Array;
  readonly bias: number;
  readonly prediction: number;
}

export interface GlobalImportance {
  readonly meanAbs: Record<string, number>;
  readonly rows: number;
}

const GLOBAL_CHUNK_ROWS = 256;

/** Copies rows of `matrix` into the model's feature order. */
export function gatherRows(
  matrix: FeatureMatrix,
  rowIndexes: readonly number[],
  columns: Int32Array,
): Float64Array {
  const nf = columns.length;
  const width = matrix.featureNames.length;
  const out = new Float64Array(rowIndexes.length * nf);
  for (let i = 0; i < rowIndexes.length; i++) {
    const base = rowIndexes[i]! * width;
    for (let j = 0; j < nf; j++) out[i * nf + j] = matrix.values[base + columns[j]!]!;
  }
  return out;
}

const rowIndexes = new WeakMap<FeatureMatrix, ReadonlyMap<string, number>>();

/** Ticker → row of a matrix, built once per loaded matrix. */
export function rowIndex(matrix: FeatureMatrix): ReadonlyMap<string, number> {
  let index = rowIndexes.get(matrix);
  if (index === undefined) {
    index = new Map(matrix.tickers.map((t, i) => [t, i]));
    rowIndexes.set(matrix, index);
  }
  return index;
}

export function topFeatures(names: readonly string[], shap: Float64Array, k: number): [string, number][] {
  const order = Array.from(shap.keys()).sort((a, b) => Math.abs(shap[b]!) - Math.abs(shap[a]!) || a - b);
  return order.slice(0, k).map((j) => [names[j]!, shap[j]!]);
}

function skewError(alignment: Alignment, source: string, model: ScoringModel): ApiError {
  return new ApiError(
    "feature_skew",
    `the model needs ${alignment.missing.length} feature(s) the ${source} does not provide`,
    { missing: alignment.missing, model_features: model.featureNames },
  );
}

export class Explanations {
  readonly #local = new Map<string, LocalExplanation>();
  readonly #global = new Map<string, Promise<GlobalImportance>>();

  constructor(readonly state: ScorerState) {
    state.onSwap(() => {
      this.#local.clear();
      this.#global.clear();
    });
  }

  #model(): Loaded<ScoringModel> {
    const loaded = this.state.currentModel();
    if (loaded === null) throw new ApiError("not_ready", "model not loaded", { path: this.state.model.path });
    return loaded;
  }

  #fromPrices(prices: PricesInput): FeatureMatrix {
    try {
      return this.state.sources.features.build(prices);
    } catch (err) {
      if (err instanceof FeatureInputError)
        throw new ApiError("insufficient_history", err.message, err.details);
      throw err;
    }
  }

  #builderColumns(model: ScoringModel): Int32Array {
    const alignment = this.state.builderAlignment();
    if (alignment === null) throw new ApiError("not_ready", "model not loaded", null);
    if (alignment.missing.length > 0)
      throw skewError(alignment, `feature set ${this.state.sources.features.version}`, model);
    return alignment.columns;
  }

  /** `/score`: alpha per posted ticker from features built on its prices. */
  score(prices: PricesInput): Record<string, number | null> {
    const { value: model } = this.#model();
    const columns = this.#builderColumns(model);
    const matrix = this.#fromPrices(prices);
    const rows = gatherRows(
      matrix,
      matrix.tickers.map((_, i) => i),
      columns,
    );
    const pred = model.predict(rows, matrix.tickers.length);
    const alpha: Record<string, number | null> = {};
    const k = model.numOutputs;
    matrix.tickers.forEach((t, i) => {
      const v = pred[i * k]!;
      alpha[t] = Number.isFinite(v) ? v : null;
    });
    return alpha;
  }

  #explainRow(model: ScoringModel, row: Float64Array): LocalExplanation {
    const nf = model.featureNames.length;
    const phi = model.shap(row, 1); // output 0 is the first nf + 1 entries
    const pred = model.predict(row, 1);
    return {
      featureNames: model.featureNames,
      values: row,
      shap: phi.slice(0, nf),
      bias: phi[nf]!,
      prediction: pred[0]!,
    };
  }

  /** `/explain_local` on posted prices. */
  localFromPrices(ticker: string, prices: PricesInput): LocalExplanation {
    const { value: model } = this.#model();
    const columns = this.#builderColumns(model);
    if (!Object.hasOwn(prices, ticker))
      throw new ApiError("unknown_ticker", `ticker ${ticker} is not in the posted prices`, { ticker });
    const matrix = this.#fromPrices(prices);
    const r = matrix.tickers.indexOf(ticker);
    if (r < 0) throw new ApiError("unknown_ticker", `no features for ticker ${ticker}`, { ticker });
    return this.#explainRow(model, gatherRows(matrix, [r], columns));
  }

  /** `/explain_local` on the ticker's row of the stored features panel (cached). */
  localFromPanel(ticker: string): LocalExplanation {
    const loaded = this.#model();
    const model = loaded.value;
    const features = this.state.features.current;
    const fallback = this.state.metrics.explainLocalFallback;
    if (features === null) {
      fallback.inc({ kind: "features_panel_missing" });
      throw new ApiError("not_ready", "features panel not loaded; post prices to explain", {
        path: this.state.features.path,
      });
    }
    const alignment = this.state.panelAlignment();
    if (alignment === null || alignment.missing.length > 0) {
      fallback.inc({ kind: "feature_skew" });
      if (alignment === null) throw new ApiError("not_ready", "model not loaded", null);
      throw skewError(alignment, "features panel", model);
    }
    const asOf = this.state.expected.current?.value.asOf ?? "";
    const key = `${loaded.sha256}|${asOf}|${features.sha256}|${ticker}`;
    const hit = this.#local.get(key);
    if (hit !== undefined) return hit;
    const r = rowIndex(features.value).get(ticker) ?? -1;
    if (r < 0) {
      fallback.inc({ kind: "ticker_not_in_features" });
      throw new ApiError("unknown_ticker", `ticker ${ticker} is not in the features panel`, { ticker });
    }
    const explanation = this.#explainRow(model, gatherRows(features.value, [r], alignment.columns));
    const max = this.state.config.explainCacheSize;
    if (max > 0) {
      if (this.#local.size >= max) this.#local.clear();
      this.#local.set(key, explanation);
    }
    return explanation;
  }

  /** `/explain?type=shap`: mean |SHAP| over the features panel, computed in chunks, cached. */
  globalShap(): Promise<GlobalImportance> {
    const loaded = this.#model();
    const features = this.state.features.current;
    if (features === null)
      throw new ApiError("not_ready", "features panel not loaded", { path: this.state.features.path });
    const alignment = this.state.panelAlignment();
    if (alignment === null) throw new ApiError("not_ready", "model not loaded", null);
    if (alignment.missing.length > 0) throw skewError(alignment, "features panel", loaded.value);
    const key = `${loaded.sha256}|${features.sha256}`;
    let result = this.#global.get(key);
    if (result === undefined) {
      result = this.#computeGlobal(features.value, alignment.columns);
      this.#global.set(key, result);
      result.catch(() => this.#global.delete(key));
    }
    return result;
  }

  async #computeGlobal(matrix: FeatureMatrix, columns: Int32Array): Promise<GlobalImportance> {
    const lease = this.state.acquireModel();
    if (lease === null) throw new ApiError("not_ready", "model not loaded", null);
    try {
      const model = lease.loaded.value;
      const nf = model.featureNames.length;
      const stride = model.numOutputs * (nf + 1);
      const sums = new Float64Array(nf);
      const n = matrix.tickers.length;
      for (let start = 0; start < n; start += GLOBAL_CHUNK_ROWS) {
        const idx = Array.from({ length: Math.min(GLOBAL_CHUNK_ROWS, n - start) }, (_, i) => start + i);
        const phi = model.shap(gatherRows(matrix, idx, columns), idx.length);
        for (let i = 0; i < idx.length; i++)
          for (let j = 0; j < nf; j++) sums[j] = sums[j]! + Math.abs(phi[i * stride + j]!);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const meanAbs: Record<string, number> = {};
      model.featureNames.forEach((name, j) => (meanAbs[name] = n === 0 ? 0 : sums[j]! / n));
      return { meanAbs, rows: n };
    } finally {
      lease.release();
    }
  }

  /** `/explain?type=gain|split`: the model file's own importance. */
  modelImportance(type: "gain" | "split"): Record<string, number> {
    return this.#model().value.importance(type);
  }
}
