import { ApiError } from "./errors.js";
import type { ScorerState, Alignment } from "./state.js";
import { AbsShapSums, meanAbsShap } from "../treeshap/importance.js";
import type { ExplainableModel } from "../treeshap/model.js";
import type { FeatureMatrix } from "./sources.js";
import type { PricesInput } from "./schemas.js";
import type { Lease, Loaded } from "./reload.js";
import type { ServedModel } from "./served-model.js";
import { gatherRows, packPrices, type ComputeResult, type ComputeTask } from "./compute/tasks.js";

/**
 * Scoring and explanations over the current state. Requests with posted
 * prices, and stored rows the panel SHAP table does not hold, run on the
 * compute (`compute/`: worker threads, or the main thread without them) on
 * the model version the request leased. The panel SHAP table (keyed by
 * model hash + panel date + features hash) and global importance (model and
 * features hashes) use the main thread's copy. Multi-output models are
 * reported on output 0.
 */

export { gatherRows };

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
    const panel = new PanelShap(
      key,
      model.value.model.featureNames,
      features.value,
      alignment.columns,
      limit,
    );
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
        panel.compute(lease.loaded.value.model, rows);
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

  #model(): Loaded<ServedModel> {
    const loaded = this.state.currentModel();
    if (loaded === null) throw new ApiError("not_ready", "model not loaded", { path: this.state.model.path });
    return loaded;
  }

  #builderColumns(model: ExplainableModel): Int32Array {
    const alignment = this.state.builderAlignment();
    if (alignment === null) throw new ApiError("not_ready", "model not loaded", null);
    if (alignment.missing.length > 0)
      throw skewError(alignment, `feature set ${this.state.sources.features.version}`, model);
    return alignment.columns;
  }

  /**
   * Runs one task on the current model, which stays leased until the task
   * is done (a swap meanwhile disposes it only afterwards). The lease and
   * `task(model)` happen in the caller's tick, with the checks it made, so
   * the alignment a task carries belongs to the very version it runs on.
   */
  async #compute<K extends ComputeResult["kind"]>(
    kind: K,
    task: (model: ExplainableModel) => ComputeTask,
  ): Promise<{ result: Extract<ComputeResult, { kind: K }>; model: ExplainableModel }> {
    const lease: Lease<ServedModel> | null = this.state.acquireModel();
    if (lease === null) throw new ApiError("not_ready", "model not loaded", { path: this.state.model.path });
    try {
      const { model, compute } = lease.loaded.value;
      const result = await compute.run(task(model));
      if (result.kind === "error") throw new ApiError(result.code, result.message, result.details);
      if (result.kind !== kind) throw new Error(`compute answered ${result.kind} to a ${kind} task`);
      return { result: result as Extract<ComputeResult, { kind: K }>, model };
    } finally {
      lease.release();
    }
  }

  /** `/score`: alpha per posted ticker from features built on its prices. */
  async score(prices: PricesInput): Promise<Record<string, number | null>> {
    const { result: r } = await this.#compute("score", (model) => ({
      kind: "score",
      prices: packPrices(prices),
      columns: this.#builderColumns(model),
    }));
    const alpha: Record<string, number | null> = {};
    r.tickers.forEach((t, i) => {
      const v = r.prediction[i]!;
      alpha[t] = Number.isFinite(v) ? v : null;
    });
    return alpha;
  }

  /** `/explain_local` on posted prices. */
  async localFromPrices(ticker: string, prices: PricesInput): Promise<LocalExplanation> {
    if (!Object.hasOwn(prices, ticker))
      throw new ApiError("unknown_ticker", `ticker ${ticker} is not in the posted prices`, { ticker });
    const { result: r, model } = await this.#compute("explain", (leased) => ({
      kind: "explain",
      ticker,
      prices: packPrices(prices),
      columns: this.#builderColumns(leased),
    }));
    return localExplanation(model, r);
  }

  /** `/explain_local` on the ticker's row of the stored features panel (from the panel SHAP table when it holds the row). */
  async localFromPanel(ticker: string): Promise<LocalExplanation> {
    const loaded = this.#model();
    const model = loaded.value.model;
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
    const values = gatherRows(features.value, [r], alignment.columns);
    const { result } = await this.#compute("explain", () => ({ kind: "explainRow", values }));
    return localExplanation(model, result);
  }

  /** `/explain?type=shap`: mean |SHAP| over the features panel, computed in chunks, cached. */
  globalShap(): Promise<GlobalImportance> {
    const loaded = this.#model();
    const features = this.state.features.current;
    if (features === null)
      throw new ApiError("not_ready", "features panel not loaded", { path: this.state.features.path });
    const alignment = this.state.panelAlignment();
    if (alignment === null) throw new ApiError("not_ready", "model not loaded", null);
    if (alignment.missing.length > 0) throw skewError(alignment, "features panel", loaded.value.model);
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
      const model = lease.loaded.value.model;
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
    return this.#model().value.model.importance(type);
  }
}

function localExplanation(
  model: ExplainableModel,
  r: Extract<ComputeResult, { kind: "explain" }>,
): LocalExplanation {
  return {
    featureNames: model.featureNames,
    values: r.values,
    shap: r.shap,
    bias: r.bias,
    prediction: r.prediction,
  };
}

function globalImportance(names: readonly string[], meanAbs: Float64Array, rows: number): GlobalImportance {
  const byName: Record<string, number> = {};
  names.forEach((name, j) => (byName[name] = meanAbs[j]!));
  return { meanAbs: byName, rows };
}
