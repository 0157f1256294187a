import { setFlagsFromString } from "node:v8";

/**
 * V8's memory-saving mode for the operator process: at 1000 resources its
 * RSS went from 186 to 159 MiB at the same speed (docs/operator.md,
 * Benchmark). Set by `maie operator` itself as it starts, because Node
 * refuses the flag in NODE_OPTIONS and the image's entrypoint is shared with
 * the scorer, which keeps V8's defaults. It changes heap-growth heuristics,
 * which V8 reads as it runs, so setting it before the caches fill is enough.
 */
export const OPERATOR_V8_FLAGS = "--optimize-for-size";

export function applyOperatorV8Flags(): void {
  setFlagsFromString(OPERATOR_V8_FLAGS);
}
