import { modelFeatureImportance } from "../models/importance.js";
import { parseModel } from "../models/load.js";
import { Explainer } from "../treeshap/explainer.js";
import type { ModelLoader, ScoringModel } from "./sources.js";

/**
 * The model behind the scorer: the file parsed into a flat tree ensemble
 * (`src/models`), predictions and TreeSHAP from its own WASM instance
 * (`src/treeshap`). Gain/split importance is computed once at load.
 */
export const loadTreeModel: ModelLoader = async (bytes, format) => {
  const ensemble = parseModel(bytes, format);
  const explainer = await Explainer.load(ensemble);
  const importance = {
    gain: modelFeatureImportance(ensemble, "gain"),
    split: modelFeatureImportance(ensemble, "split"),
  };
  const model: ScoringModel = {
    format: ensemble.format,
    numTrees: ensemble.numTrees,
    featureNames: ensemble.featureNames,
    numOutputs: ensemble.numOutputs,
    predict: (rows, nRows) => explainer.predict(rows, nRows),
    shap: (rows, nRows) => explainer.shap(rows, nRows),
    importance: (type) => ({ ...importance[type] }),
    dispose: () => explainer.dispose(),
  };
  return model;
};
