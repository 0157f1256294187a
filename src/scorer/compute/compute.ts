import type { ModelFormatOption } from "../../contract/model-format.js";
import type { ExplainableModel, ModelLoader } from "../../treeshap/model.js";
import type { FeatureBuilder } from "../sources.js";
import { runTasks, type ComputeResult, type ComputeTask } from "./tasks.js";

/**
 * Where the scorer's per-request compute runs (features from posted prices,
 * predictions, TreeSHAP): on worker threads ({@link WorkerPool}) or, without
 * workers, on the main thread ({@link inProcessCompute}). Both hold a model
 * per loaded model file, so a request runs entirely on the model version
 * it started with.
 */
export interface ComputeModel {
  /** Runs one task on this model version; rejects with an `ApiError` (503) when the compute cannot run it. */
  run(task: ComputeTask): Promise<ComputeResult>;
  /** This version is no longer served (no request holds it): free it. */
  release(): void;
}

export interface Compute {
  /**
   * Readies the model file `bytes` for compute; `model` is the main
   * thread's copy of the same file. Rejects when the compute side cannot
   * load it (the scorer then keeps its last good model).
   */
  load(bytes: Uint8Array, format: ModelFormatOption, model: ExplainableModel): Promise<ComputeModel>;
  /** Stops the compute; pending and later runs reject. */
  close(): Promise<void>;
}

/**
 * What a compute worker needs to rebuild the main thread's model and
 * features: the module named by `ScorerSources.kernelModule` exports it as
 * `kernel`.
 */
export interface ComputeKernel {
  readonly loadModel: ModelLoader;
  readonly features: FeatureBuilder;
}

/** Compute on the calling thread, on the main thread's own model. */
export function inProcessCompute(builder: FeatureBuilder): Compute {
  return {
    load: (_bytes, _format, model) =>
      Promise.resolve({
        run: (task) => {
          try {
            return Promise.resolve(runTasks(model, builder, [task])[0]!);
          } catch (err) {
            return Promise.reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
        release: () => undefined,
      }),
    close: () => Promise.resolve(),
  };
}
