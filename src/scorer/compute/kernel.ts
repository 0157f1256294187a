import { parseModel } from "../../models/load.js";
import { bindModel, type ModelLoader } from "../../treeshap/model.js";
import { featureSetV1 } from "../feature-set.js";
import type { ComputeKernel } from "./compute.js";

/**
 * Table budget of the scorer's TreeSHAP instances. The scorer explains one
 * row per request, and one row reads one entry of each leaf's table at
 * random: past the CPU caches, a memory stall per leaf. On the 500-tree ×
 * 63-leaf benchmark model one row took 1.9 ms of CPU with 4 MiB of tables
 * against 3.0 ms with the core's 64 MiB default (batches of 8: 1.55 ms a row
 * either way; the scorer's panel table is filled in batches), and each copy
 * of the model (one per compute worker, one on the main thread) is about
 * 120 MiB smaller. Leaves past the budget are evaluated directly
 * (`src/treeshap/precompute.ts`); the values are the same.
 */
export const SCORER_TABLE_BUDGET_BYTES = 4 << 20;

const loadModel: ModelLoader = async (bytes, format) =>
  bindModel(parseModel(bytes, format), { tableBudgetBytes: SCORER_TABLE_BUDGET_BYTES });

/** The real scorer's compute kernel, loaded by each compute worker: the WASM TreeSHAP model port and feature set v1. */
export const kernel: ComputeKernel = { loadModel, features: featureSetV1 };

/** What `ScorerSources.kernelModule` names for {@link kernel}. */
export const KERNEL_MODULE = import.meta.url;
