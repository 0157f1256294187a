import type { ModelFormatOption } from "../../contract/model-format.js";
import type { ComputeResult, ComputeTask } from "./tasks.js";

/**
 * Messages between the pool (main thread) and a compute worker. A worker
 * holds one model per generation: the pool sends `load` for each model file
 * the scorer may serve, runs batches on generations the worker has
 * acknowledged, and `retire`s a generation once no request holds it.
 * Messages to a worker are handled in order, so a `retire` never overtakes
 * a `run` sent before it.
 */

/** `workerData` of a compute worker. */
export interface WorkerInit {
  /** URL of the module exporting the `kernel` (a `ComputeKernel`). */
  readonly kernelModule: string;
}

export type ToWorker =
  | {
      readonly type: "load";
      readonly gen: number;
      readonly bytes: Uint8Array;
      readonly format: ModelFormatOption;
    }
  | { readonly type: "retire"; readonly gen: number }
  | {
      readonly type: "run";
      readonly batch: number;
      readonly gen: number;
      readonly tasks: readonly ComputeTask[];
    };

export type FromWorker =
  | { readonly type: "loaded"; readonly gen: number }
  | { readonly type: "loadFailed"; readonly gen: number; readonly message: string }
  | { readonly type: "done"; readonly batch: number; readonly results: readonly ComputeResult[] }
  /** The batch threw something other than a task's own input error (a bug, or the core failing). */
  | { readonly type: "failed"; readonly batch: number; readonly message: string };
