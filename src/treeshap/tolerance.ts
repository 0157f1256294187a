/**
 * design §8: how close our predictions and SHAP values must be to the native
 * library's own. LightGBM computes in double: ≤ 1e-6 × (1 + |v|) absolute.
 * XGBoost accumulates in float32: ≤ 1e-4 relative, i.e. 1e-4 × max(1, |v|).
 * Used by the fixture tests, the benchmark (which peers count as correct) and
 * the fidelity matrix.
 */
export type NativeLibrary = "lightgbm" | "xgboost";

export function withinTolerance(library: NativeLibrary, ours: number, native: number): boolean {
  const err = Math.abs(ours - native);
  return library === "lightgbm"
    ? err <= 1e-6 * (1 + Math.abs(native))
    : err <= 1e-4 * Math.max(1, Math.abs(native));
}
