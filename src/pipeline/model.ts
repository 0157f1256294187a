/**
 * What the pipeline needs from a model: predictions and TreeSHAP values for
 * a batch of rows. The real implementation (`wasm-model.ts`) parses the
 * model file and runs the WASM TreeSHAP core; tests inject small fakes.
 */
export interface PipelineModel {
  readonly format: string;
  readonly featureNames: readonly string[];
  readonly numOutputs: number;
  readonly numTrees: number;
  /** Base value per output (margin space). */
  readonly expectedValue: Float64Array;
  /** `nRows × numOutputs` raw (margin) predictions. */
  predict(rows: Float64Array, nRows: number): Float64Array;
  /** `nRows × numOutputs × (numFeatures + 1)`, bias last. */
  shap(rows: Float64Array, nRows: number): Float64Array;
  dispose(): void;
}

export type ModelFormatOption = "lightgbm" | "xgboost" | "auto";

/** Turns the model file's bytes into a {@link PipelineModel}. */
export type ModelLoader = (bytes: Uint8Array, format: ModelFormatOption) => Promise<PipelineModel>;
