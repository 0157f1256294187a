import type { ModelFormat } from "../contract/model-format.js";

/**
 * One flat tree-ensemble layout shared by every model format.
 *
 * Nodes of all trees live in one set of parallel typed arrays (structure of
 * arrays). Tree `t` owns the node indexes `[treeStart[t], treeStart[t + 1])`;
 * its root is `treeStart[t]`. Child indexes are absolute node indexes; a leaf
 * has `left[i] === -1`. Every tree adds its leaf value to output
 * `treeOutput[t]` (the class for multiclass models), on top of
 * `baseScore[output]`, all in raw-margin space.
 *
 * Split rule at internal node `i` with input `x` (NaN means missing):
 * - missing when `x` is NaN, or (missing type Zero) when |x| ≤ 1e-35; a missing
 *   value goes left iff `decision & DEFAULT_LEFT`. LightGBM's missing type None
 *   turns NaN into 0 before comparing.
 * - numerical: left iff `x <= threshold` (LightGBM, double) or
 *   `fround(x) < threshold` (XGBoost, flag `FLOAT32_LESS`).
 * - categorical (`CATEGORICAL`): `threshold` is the index `c` of a bitset
 *   `catBits[catBoundaries[c] .. catBoundaries[c + 1])`; left iff `trunc(x)` is
 *   a non-negative category whose bit is set, otherwise right.
 */
export interface TreeEnsemble {
  readonly format: ModelFormat;
  readonly featureNames: readonly string[];
  readonly numFeatures: number;
  /** 1 for regression and binary models, the class count for multiclass. */
  readonly numOutputs: number;
  /** As written in the model file, e.g. "binary sigmoid:1" or "reg:squarederror". */
  readonly objective: string;
  readonly numTrees: number;
  readonly numNodes: number;

  /** Raw-margin intercept per output (XGBoost base_score after its link; 0 for LightGBM). */
  readonly baseScore: Float64Array;
  /** numTrees + 1 entries. */
  readonly treeStart: Int32Array;
  /** Output (class) each tree adds to. */
  readonly treeOutput: Int32Array;

  /** Per node. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Feature index, -1 for a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** Bit flags, see DecisionFlag. */
  readonly decision: Uint8Array;
  /** Leaf value (margin contribution); internal nodes hold 0. */
  readonly value: Float64Array;
  /** Training cover: data count (LightGBM) or hessian sum (XGBoost). */
  readonly cover: Float64Array;
  /** Split gain (0 for leaves). */
  readonly gain: Float64Array;

  readonly catBoundaries: Int32Array;
  readonly catBits: Uint32Array;
}

export const DecisionFlag = {
  CATEGORICAL: 1,
  DEFAULT_LEFT: 2,
  /** Missing type in bits 2..3: 0 None, 1 Zero, 2 NaN. */
  MISSING_SHIFT: 2,
  MISSING_MASK: 0b1100,
  FLOAT32_LESS: 16,
} as const;

export const MissingType = { None: 0, Zero: 1, NaN: 2 } as const;

/** Maximum depth of any tree (root alone is depth 0). */
export function maxDepth(model: TreeEnsemble): number {
  let best = 0;
  const depth = new Int32Array(model.numNodes);
  for (let t = 0; t < model.numTrees; t++) {
    const root = model.treeStart[t]!;
    depth[root] = 0;
    for (let i = root; i < model.treeStart[t + 1]!; i++) {
      const l = model.left[i]!;
      if (l < 0) continue;
      const d = depth[i]! + 1;
      depth[l] = d;
      depth[model.right[i]!] = d;
      if (d > best) best = d;
    }
  }
  return best;
}
