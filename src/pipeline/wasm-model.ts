/**
 * The pipeline's former name for the explainable-model port's loader
 * (`src/treeshap/model.ts`), kept only for `src/cli/commands/pipeline.ts`
 * until it imports {@link loadExplainableModel} itself.
 */
export { loadExplainableModel as loadWasmModel } from "../treeshap/model.js";
