import { loadExplainableModel } from "../../treeshap/model.js";
import { featureSetV1 } from "../feature-set.js";
import type { ComputeKernel } from "./compute.js";

/** The real scorer's compute kernel, loaded by each compute worker: the WASM TreeSHAP model port and feature set v1. */
export const kernel: ComputeKernel = { loadModel: loadExplainableModel, features: featureSetV1 };

/** What `ScorerSources.kernelModule` names for {@link kernel}. */
export const KERNEL_MODULE = import.meta.url;
