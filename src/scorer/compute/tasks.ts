import type { ErrorCode } from "../errors.js";
import type { ExplainableModel } from "../../treeshap/model.js";
import { FeatureInputError, type ClosePrices, type FeatureBuilder, type FeatureMatrix } from "../sources.js";

/**
 * The per-request compute of the scorer as plain data in, plain data out:
 * features from posted prices, the model rows, predictions and TreeSHAP.
 * The same function runs on a compute worker and, without workers, on the
 * main thread, so both paths give identical answers. Everything a task
 * needs is in it (the feature columns in the model's order come from the
 * main thread's alignment of the very model the task runs on); results are
 * typed arrays, so they cross threads as one copy.
 */

/**
 * Posted closing prices (validated) packed into two typed arrays: a worker
 * gets them by transfer, where the JSON arrays would be cloned element by
 * element (that clone cost the main thread ~0.9 ms for 20 × 253 closes).
 */
export interface PackedPrices {
  readonly tickers: readonly string[];
  /** Closes of each ticker, in `tickers` order. */
  readonly lengths: Int32Array;
  /** Every ticker's closes, one after the other. */
  readonly closes: Float64Array;
}

export function packPrices(prices: Readonly<Record<string, readonly number[]>>): PackedPrices {
  const entries = Object.entries(prices);
  const lengths = Int32Array.from(entries, ([, series]) => series.length);
  const closes = new Float64Array(lengths.reduce((sum, n) => sum + n, 0));
  let at = 0;
  for (const [, series] of entries) {
    closes.set(series, at);
    at += series.length;
  }
  return { tickers: entries.map(([t]) => t), lengths, closes };
}

/** Views on the packed closes, keyed by ticker in the posted order. */
export function unpackPrices(packed: PackedPrices): ClosePrices {
  const out: Record<string, Float64Array> = {};
  let at = 0;
  packed.tickers.forEach((t, i) => {
    const n = packed.lengths[i]!;
    out[t] = packed.closes.subarray(at, at + n);
    at += n;
  });
  return out;
}

export type ComputeTask =
  /** Raw predictions (output 0) for every posted ticker. */
  | { readonly kind: "score"; readonly prices: PackedPrices; readonly columns: Int32Array }
  /** SHAP and prediction of one posted ticker (the cross-section is the whole post). */
  | {
      readonly kind: "explain";
      readonly ticker: string;
      readonly prices: PackedPrices;
      readonly columns: Int32Array;
    }
  /** SHAP and prediction of one row already in the model's feature order (a stored panel row). */
  | { readonly kind: "explainRow"; readonly values: Float64Array };

export type ComputeResult =
  | { readonly kind: "score"; readonly tickers: readonly string[]; readonly prediction: Float64Array }
  | {
      readonly kind: "explain";
      /** The row, in the model's feature order. */
      readonly values: Float64Array;
      readonly shap: Float64Array;
      readonly bias: number;
      readonly prediction: number;
    }
  | { readonly kind: "error"; readonly code: ErrorCode; readonly message: string; readonly details: unknown };

/**
 * Buffers a message can hand over instead of copying: each task's own
 * packed prices (never `columns`, which the main thread's alignment keeps).
 */
export function taskTransferables(tasks: readonly ComputeTask[]): ArrayBuffer[] {
  return buffers(tasks.flatMap((t) => (t.kind === "explainRow" ? [] : [t.prices.lengths, t.prices.closes])));
}

/** Buffers of results, each made for its result alone. */
export function resultTransferables(results: readonly ComputeResult[]): ArrayBuffer[] {
  return buffers(
    results.flatMap((r) =>
      r.kind === "score" ? [r.prediction] : r.kind === "explain" ? [r.values, r.shap] : [],
    ),
  );
}

function buffers(views: readonly ArrayBufferView[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}

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

function failure(err: unknown): ComputeResult {
  if (err instanceof FeatureInputError)
    return { kind: "error", code: "insufficient_history", message: err.message, details: err.details };
  throw err;
}

/**
 * Runs a batch of tasks on one model. Rows of every explain task go to the
 * core in one call: a batch costs less per row than single rows (the core
 * walks each tree's tables once per batch). A task whose prices cannot give
 * features fails alone; anything else unexpected throws for the batch.
 */
export function runTasks(
  model: ExplainableModel,
  builder: FeatureBuilder,
  tasks: readonly ComputeTask[],
): ComputeResult[] {
  const nf = model.featureNames.length;
  const results: (ComputeResult | undefined)[] = new Array<ComputeResult | undefined>(tasks.length);
  const explainAt: number[] = [];
  const rows: Float64Array[] = [];
  tasks.forEach((task, i) => {
    try {
      if (task.kind === "explainRow") {
        explainAt.push(i);
        rows.push(task.values);
        return;
      }
      const matrix = builder.build(unpackPrices(task.prices));
      if (task.kind === "score") {
        const all = matrix.tickers.map((_, r) => r);
        const pred = model.predict(gatherRows(matrix, all, task.columns), all.length);
        const k = model.numOutputs;
        results[i] = {
          kind: "score",
          tickers: matrix.tickers,
          prediction: k === 1 ? pred : Float64Array.from(all, (r) => pred[r * k]!),
        };
        return;
      }
      const r = matrix.tickers.indexOf(task.ticker);
      if (r < 0) {
        results[i] = {
          kind: "error",
          code: "unknown_ticker",
          message: `no features for ticker ${task.ticker}`,
          details: { ticker: task.ticker },
        };
        return;
      }
      explainAt.push(i);
      rows.push(gatherRows(matrix, [r], task.columns));
    } catch (err) {
      results[i] = failure(err);
    }
  });
  if (rows.length > 0) {
    const input = new Float64Array(rows.length * nf);
    rows.forEach((row, j) => input.set(row.subarray(0, nf), j * nf));
    const phi = model.shap(input, rows.length);
    const pred = model.predict(input, rows.length);
    // Output 0 of each row: the first nf + 1 entries of its block.
    const stride = model.numOutputs * (nf + 1);
    explainAt.forEach((i, j) => {
      results[i] = {
        kind: "explain",
        values: input.slice(j * nf, (j + 1) * nf),
        shap: phi.slice(j * stride, j * stride + nf),
        bias: phi[j * stride + nf]!,
        prediction: pred[j * model.numOutputs]!,
      };
    });
  }
  return results.map((r) => {
    if (r === undefined) throw new Error("compute task left without a result");
    return r;
  });
}
