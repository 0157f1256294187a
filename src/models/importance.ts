import type { TreeEnsemble } from "./ensemble.js";

/**
 * Model-intrinsic global importance per feature name: total split gain
 * (`gain`) or number of splits (`split`), as LightGBM's
 * `feature_importance(importance_type=...)`. Features never split on are 0.
 */
export function modelFeatureImportance(model: TreeEnsemble, type: "gain" | "split"): Record<string, number> {
  const totals = new Float64Array(model.numFeatures);
  for (let i = 0; i < model.numNodes; i++) {
    const f = model.feature[i]!;
    if (f < 0) continue;
    totals[f] = totals[f]! + (type === "gain" ? model.gain[i]! : 1);
  }
  const out: Record<string, number> = {};
  model.featureNames.forEach((name, k) => {
    out[name] = totals[k]!;
  });
  return out;
}
