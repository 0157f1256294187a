import { ApiError } from "./errors.js";
import type { ScorerState, Alignment } from "./state.js";
import { AbsShapSums, meanAbsShap } from "../treeshap/importance.js";
import type { ExplainableModel } from "../treeshap/model.js";
import { FeatureInputError, type FeatureMatrix } from "./sources.js";
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

function skewError(alignment: Alignment, source: string, model: ExplainableModel): ApiError {
  return new ApiError(
    "feature_skew",
    `the model needs ${alignment.missing.length} feature(s) the ${source} does not provide`,
    { missing: alignment.missing, model_features: model.featureNames },
  );
}

/**
 * SHAP of every row of the features panel under one model (output 0),
 * filled in the background after a swap and on demand by requests: a
 * stored-row explanation is computed at most once per model hash + panel
 * date + features hash.
 */
class PanelShap {
  readonly nf: number;
  readonly rows: number;
  /** rows × nf, the panel gathered into the model's feature order. */
  readonly values: Float64Array;
  /** rows × (nf + 1), bias last. */
  readonly shap: Float64Array;
  readonly prediction: Float64Array;
  readonly done: Uint8Array;
  remaining: number;
  #next = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(
    readonly key: string,
    readonly featureNames: readonly string[],
    matrix: FeatureMatrix,
    columns: Int32Array,
    /** Rows covered (the cache size limit). */
    limit: number,
  ) {
    this.nf = featureNames.length;
    this.rows = Math.min(matrix.tickers.length, limit);
    this.values = gatherRows(
      matrix,
      Array.from({ length: this.rows }, (_, i) => i),
      columns,
    );
    this.shap = new Float64Array(this.rows * (this.nf + 1));
    this.prediction = new Float64Array(this.rows);
    this.done = new Uint8Array(this.rows);
    this.remaining = this.rows;
  }

  get complete(): boolean {
    return this.remaining === 0;
  }

  /** Resolves once every row is computed. */
  finished(): Promise<void> {
    return this.complete ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Computes the given rows (those not done yet) in one batch call. */
  compute(model: ExplainableModel, rows: readonly number[]): void {
    const todo = rows.filter((r) => this.done[r] === 0);
    if (todo.length === 0) return;
    const nf = this.nf;
    const input = new Float64Array(todo.length * nf);
    todo.forEach((r, i) => input.set(this.values.subarray(r * nf, (r + 1) * nf), i * nf));
    const phi = model.shap(input, todo.length);
    const pred = model.predict(input, todo.length);
    const stride = model.numOutputs * (nf + 1);
    todo.forEach((r, i) => {
      this.shap.set(phi.subarray(i * stride, i * stride + nf + 1), r * (nf + 1));
      this.prediction[r] = pred[i * model.numOutputs]!;
      this.done[r] = 1;
    });
    this.remaining -= todo.length;
    if (this.complete) for (const w of this.#waiters.splice(0)) w();
  }

  /** The next rows not yet computed, at most `n`. */
  nextRows(n: number): number[] {
    const out: number[] = [];
    while (this.#next < this.rows && out.length < n) {
      if (this.done[this.#next] === 0) out.push(this.#next);
      this.#next++;
    }
    return out;
  }

  explanation(r: number): LocalExplanation {
    const w = this.nf + 1;
    return {
      featureNames: this.featureNames,
      values: this.values.subarray(r * this.nf, (r + 1) * this.nf),
      shap: this.shap.subarray(r * w, r * w + this.nf),
      bias: this.shap[r * w + this.nf]!,
      prediction: this.prediction[r]!,
    };
  }
}

/** Target time of one background chunk, so requests wait at most about this long behind it. */
const BACKGROUND_SLICE_MS = 4;

export class Explanations {
  #panel: PanelShap | null = null;
  readonly #global = new Map<string, Promise<GlobalImportance>>();

  constructor(readonly state: ScorerState) {
    state.onSwap(() => {
      this.#panel = null;
      this.#global.clear();
      setImmediate(() => this.#ensurePanel());
    });
  }

  /** Background fill in progress or done (for tests and /ready-style introspection). */
  get panelProgress(): { rows: number; remaining: number } | null {
    return this.#panel === null ? null : { rows: this.#panel.rows, remaining: this.#panel.remaining };
  }

  /** The panel SHAP table for the current model and panel, created (and its background fill started) on first need. */
  #ensurePanel(): PanelShap | null {
    const limit = this.state.config.explainCacheSize;
    const model = this.state.model.current;
    const features = this.state.features.current;
    const alignment = this.state.panelAlignment();
    if (
      limit === 0 ||
      model === null ||
      features === null ||
      alignment === null ||
      alignment.missing.length > 0
    )
      return null;
    const asOf = this.state.expected.current?.value.asOf ?? "";
    const key = `${model.sha256}|${asOf}|${features.sha256}`;
    if (this.#panel?.key === key) return this.#panel;
    const panel = new PanelShap(key, model.value.featureNames, features.value, alignment.columns, limit);
    this.#panel = panel;
    void this.#fill(panel);
    return panel;
  }

  async #fill(panel: PanelShap): Promise<void> {
    const lease = this.state.acquireModel();
    if (lease === null) return;
    try {
      let chunk = 1;
      while (!panel.complete && this.#panel === panel) {
        const rows = panel.nextRows(chunk);
        if (rows.length === 0) break;
        const t0 = performance.now();
        panel.compute(lease.loaded.value, rows);
        const perRow = (performance.now() - t0) / rows.length;
        chunk = Math.max(1, Math.min(256, Math.floor(BACKGROUND_SLICE_MS / Math.max(perRow, 1e-3))));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      this.state.log.error(
        { err: err instanceof Error ? err.message : String(err) },
        "panel SHAP precompute failed",
      );
      if (this.#panel === panel) this.#panel = null;
    } finally {
      lease.release();
    }
  }

  #model(): Loaded<ExplainableModel> {
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

  #builderColumns(model: ExplainableModel): Int32Array {
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

  #explainRow(model: ExplainableModel, row: Float64Array): LocalExplanation {
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
    const r = rowIndex(features.value).get(ticker);
    if (r === undefined) {
      fallback.inc({ kind: "ticker_not_in_features" });
      throw new ApiError("unknown_ticker", `ticker ${ticker} is not in the features panel`, { ticker });
    }
    const panel = this.#ensurePanel();
    if (panel !== null && r < panel.rows) {
      panel.compute(model, [r]);
      return panel.explanation(r);
    }
    return this.#explainRow(model, gatherRows(features.value, [r], alignment.columns));
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
      const panel = this.#ensurePanel();
      result =
        panel !== null && panel.rows === features.value.tickers.length
          ? panel
              .finished()
              .then(() =>
                globalImportance(
                  panel.featureNames,
                  meanAbsShap(panel.shap, panel.rows, panel.nf),
                  panel.rows,
                ),
              )
          : this.#computeGlobal(features.value, alignment.columns);
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
      const sums = new AbsShapSums(nf);
      const n = matrix.tickers.length;
      for (let start = 0; start < n; start += GLOBAL_CHUNK_ROWS) {
        const idx = Array.from({ length: Math.min(GLOBAL_CHUNK_ROWS, n - start) }, (_, i) => start + i);
        sums.add(model.shap(gatherRows(matrix, idx, columns), idx.length), idx.length, stride);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return globalImportance(model.featureNames, sums.mean(), n);
    } finally {
      lease.release();
    }
  }

  /** `/explain?type=gain|split`: the model file's own importance. */
  modelImportance(type: "gain" | "split"): Record<string, number> {
    return this.#model().value.importance(type);
  }
}

function globalImportance(names: readonly string[], meanAbs: Float64Array, rows: number): GlobalImportance {
  const byName: Record<string, number> = {};
  names.forEach((name, j) => (byName[name] = meanAbs[j]!));
  return { meanAbs: byName, rows };
}
