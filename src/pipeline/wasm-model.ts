import { parseModel } from "../models/load.js";
import { Explainer } from "../treeshap/explainer.js";
import type { ModelLoader, PipelineModel } from "./model.js";

/** Parses a LightGBM/XGBoost model file and binds it to the WASM TreeSHAP core. */
export const loadWasmModel: ModelLoader = async (bytes, format): Promise<PipelineModel> => {
  const ensemble = parseModel(bytes, format);
  const explainer = await Explainer.load(ensemble);
  return {
    format: ensemble.format,
    featureNames: explainer.featureNames,
    numOutputs: explainer.numOutputs,
    numTrees: ensemble.numTrees,
    expectedValue: explainer.expectedValue,
    predict: (rows, nRows) => explainer.predict(rows, nRows),
    shap: (rows, nRows) => explainer.shap(rows, nRows),
    dispose: () => explainer.dispose(),
  };
};
