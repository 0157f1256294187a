import { modelFeatureImportance } from "../models/importance.js";
import { parseModel, type TreeEnsemble } from "../models/load.js";
import type { ModelFormatOption } from "../contract/model-format.js";
import { Explainer, type ExplainerOptions } from "./explainer.js";

/**
 * The explainable-model port, the one the scorer, the pipeline and
 * `maie explain` consume: a model file parsed into the flat tree ensemble
 * (`src/models`) and bound to its own WASM TreeSHAP instance
 * ({@link Explainer}). Consumers take a {@link ModelLoader}, so tests inject
 * small fakes and the real adapter is {@link loadExplainableModel}.
 */
export interface ExplainableModel {
  readonly format: string;
  readonly numTrees: number;
  readonly featureNames: readonly string[];
  readonly numOutputs: number;
  /** Base value (SHAP bias) per output, in margin space. */
  readonly expectedValue: Float64Array;
  /** `nRows × numOutputs` raw (margin) predictions. */
  predict(rows: Float64Array, nRows: number): Float64Array;
  /** `nRows × numOutputs × (numFeatures + 1)`, bias last, in margin space. */
  shap(rows: Float64Array, nRows: number): Float64Array;
  /** The model file's own global importance per feature name (a fresh copy each call). */
  importance(type: "gain" | "split"): Record<string, number>;
  dispose(): void;
}

/** Turns a model file's bytes into an {@link ExplainableModel}; rejects (any error) on an invalid file. */
export type ModelLoader = (bytes: Uint8Array, format: ModelFormatOption) => Promise<ExplainableModel>;

/**
 * Binds a parsed ensemble to its own WASM instance. Gain/split importance is
 * computed once here. Calls are synchronous and run the whole batch they are
 * given (the core chunks it internally).
 */
export async function bindModel(
  ensemble: TreeEnsemble,
  options: ExplainerOptions = {},
): Promise<ExplainableModel> {
  const explainer = await Explainer.load(ensemble, options);
  const importance = {
    gain: modelFeatureImportance(ensemble, "gain"),
    split: modelFeatureImportance(ensemble, "split"),
  };
  return {
    format: ensemble.format,
    numTrees: ensemble.numTrees,
    featureNames: ensemble.featureNames,
    numOutputs: ensemble.numOutputs,
    expectedValue: explainer.expectedValue,
    predict: (rows, nRows) => explainer.predict(rows, nRows),
    shap: (rows, nRows) => explainer.shap(rows, nRows),
    importance: (type) => ({ ...importance[type] }),
    dispose: () => explainer.dispose(),
  };
}

/** Parses a LightGBM `model.txt` or XGBoost JSON model and binds it to the WASM TreeSHAP core. */
export const loadExplainableModel: ModelLoader = async (bytes, format) =>
  bindModel(parseModel(bytes, format));
