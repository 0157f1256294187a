/** Why a model file was refused. */
export type ModelFormatCode =
  "unknown_format" | "syntax" | "truncated" | "invalid" | "unsupported" | "too_large";

/** A model file that cannot be loaded; the message names the problem (and the tree when there is one). */
export class ModelFormatError extends Error {
  override readonly name = "ModelFormatError";
  constructor(
    readonly code: ModelFormatCode,
    message: string,
  ) {
    super(message);
  }
}

/** Limits that keep a hostile or corrupt file from exhausting memory before validation fails. */
export const LIMITS = {
  maxTrees: 1_000_000,
  maxNodes: 50_000_000,
  /**
   * Features a model may declare (a file without names gets one generated
   * name each): far under the TreeSHAP layout's MAX_LAYOUT_FEATURES (2^23).
   */
  maxFeatures: 100_000,
  maxOutputs: 100_000,
  maxDepth: 256,
  /** Largest category in an XGBoost categorical split (XGBoost's own: categories are float32-exact). */
  maxCategory: 1 << 24,
  /**
   * Categorical bitset words (u32) in one model, 16 MiB: checked before each
   * split's bitset is allocated (one category near maxCategory is 2^19 words).
   */
  maxCategoricalWords: 1 << 22,
  /**
   * Largest model file read, in bytes (500 MiB): under V8's longest string
   * (2^29 − 24 characters), so any JSON or text model within it decodes.
   */
  maxModelBytes: 500 * 1024 * 1024,
} as const;
