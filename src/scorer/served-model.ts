import type { ModelFormatOption } from "../contract/model-format.js";
import type { ExplainableModel, ModelLoader } from "../treeshap/model.js";
import type { Compute, ComputeModel } from "./compute/compute.js";

/**
 * A model file as the scorer serves it: the main thread's copy (panel SHAP
 * table, global importance, metadata) and the compute's copies (per-request
 * compute). The one place model bytes become a served model, whatever
 * source the bytes come from: both copies load before the scorer swaps the
 * model in, so a file either side refuses leaves the last good model serving.
 */
export interface ServedModel {
  readonly model: ExplainableModel;
  readonly compute: ComputeModel;
}

export async function loadServedModel(
  bytes: Uint8Array,
  format: ModelFormatOption,
  loadModel: ModelLoader,
  compute: Compute,
): Promise<ServedModel> {
  const model = await loadModel(bytes, format);
  try {
    return { model, compute: await compute.load(bytes, format, model) };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Frees both copies; called once no request holds the model. */
export function disposeServedModel(served: ServedModel): void {
  served.compute.release();
  served.model.dispose();
}
