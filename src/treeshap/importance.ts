/**
 * Global SHAP importance: mean |SHAP| per feature over rows. SHAP rows are
 * laid out as the core returns them, `stride` values per row (by default
 * `nFeatures + 1`, bias last; `numOutputs × (nFeatures + 1)` for a
 * multi-output model, of which output 0's features are read).
 */

/** Per-feature sums of |SHAP| accumulated over batches of rows (for chunked computations). */
export class AbsShapSums {
  readonly sums: Float64Array;
  rows = 0;

  constructor(readonly nFeatures: number) {
    this.sums = new Float64Array(nFeatures);
  }

  /** Adds `nRows` rows of `shap`, `stride` values apart. */
  add(shap: Float64Array, nRows: number, stride = this.nFeatures + 1): void {
    const nf = this.nFeatures;
    const sums = this.sums;
    for (let r = 0; r < nRows; r++) for (let f = 0; f < nf; f++) sums[f]! += Math.abs(shap[r * stride + f]!);
    this.rows += nRows;
  }

  /** Mean |SHAP| per feature; zeros when no row was added. */
  mean(): Float64Array {
    const rows = this.rows;
    return rows > 0 ? this.sums.map((s) => s / rows) : Float64Array.from(this.sums);
  }
}

/** Mean |SHAP| per feature over all `nRows` rows of `shap`. */
export function meanAbsShap(
  shap: Float64Array,
  nRows: number,
  nFeatures: number,
  stride = nFeatures + 1,
): Float64Array {
  const sums = new AbsShapSums(nFeatures);
  sums.add(shap, nRows, stride);
  return sums.mean();
}
