import type { ModelFormat } from "../contract/model-format.js";
import { LIMITS, ModelFormatError } from "./errors.js";
import type { TreeEnsemble } from "./ensemble.js";

/**
 * One tree as a parser reads it, in the file's own node numbering: node `root`
 * is the root, a leaf has `left[i] === -1`. The builder renumbers nodes in
 * depth-first preorder (parents before children) and checks that the child
 * links form a tree.
 */
export interface RawTree {
  readonly output: number;
  readonly root: number;
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  readonly decision: ArrayLike<number>;
  readonly value: ArrayLike<number>;
  readonly cover: ArrayLike<number>;
  readonly gain: ArrayLike<number>;
}

/** Zeroed node arrays of a raw tree of `n` nodes, for a parser to fill. */
export function rawNodeArrays(n: number) {
  return {
    left: new Int32Array(n),
    right: new Int32Array(n),
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    decision: new Uint8Array(n),
    value: new Float64Array(n),
    cover: new Float64Array(n),
    gain: new Float64Array(n),
  };
}

export interface EnsembleHeader {
  readonly format: ModelFormat;
  readonly featureNames: readonly string[];
  readonly numFeatures: number;
  readonly numOutputs: number;
  readonly objective: string;
  readonly baseScore: Float64Array;
  readonly catBoundaries: Int32Array;
  readonly catBits: Uint32Array;
}

export function buildEnsemble(header: EnsembleHeader, trees: readonly RawTree[]): TreeEnsemble {
  if (trees.length > LIMITS.maxTrees)
    throw new ModelFormatError("too_large", `too many trees: ${trees.length}`);
  let total = 0;
  for (const t of trees) total += t.left.length;
  if (total > LIMITS.maxNodes) throw new ModelFormatError("too_large", `too many nodes: ${total}`);
  if (header.catBits.length > LIMITS.maxCategoricalWords)
    throw new ModelFormatError(
      "too_large",
      `categorical bitsets of ${header.catBits.length} words, more than LIMITS.maxCategoricalWords (${LIMITS.maxCategoricalWords})`,
    );

  const treeStart = new Int32Array(trees.length + 1);
  const treeOutput = new Int32Array(trees.length);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const decision = new Uint8Array(total);
  const value = new Float64Array(total);
  const cover = new Float64Array(total);
  const gain = new Float64Array(total);
  const numCatSplits = header.catBoundaries.length - 1;

  let next = 0;
  for (const [t, tree] of trees.entries()) {
    const n = tree.left.length;
    if (!Number.isInteger(tree.output) || tree.output < 0 || tree.output >= header.numOutputs) {
      throw new ModelFormatError(
        "invalid",
        `tree ${t}: output ${tree.output} outside [0, ${header.numOutputs})`,
      );
    }
    treeStart[t] = next;
    treeOutput[t] = tree.output;
    const seen = new Uint8Array(n);
    // Stack of (raw node, depth, slot of the parent link to patch).
    const stack: [number, number, number][] = [[tree.root, 0, -1]];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const [raw, depth, link] = top;
      if (!Number.isInteger(raw) || raw < 0 || raw >= n) {
        throw new ModelFormatError("invalid", `tree ${t}: child index ${raw} outside [0, ${n})`);
      }
      if (seen[raw])
        throw new ModelFormatError("invalid", `tree ${t}: node ${raw} is reached twice (not a tree)`);
      if (depth > LIMITS.maxDepth)
        throw new ModelFormatError("too_large", `tree ${t}: deeper than ${LIMITS.maxDepth}`);
      seen[raw] = 1;
      const at = next++;
      if (link >= 0) {
        if (link & 1) right[link >> 1] = at;
        else left[link >> 1] = at;
      }
      const c = tree.cover[raw]!;
      cover[at] = Number.isFinite(c) && c >= 0 ? c : 0;
      const l = tree.left[raw]!;
      if (l < 0) {
        left[at] = -1;
        right[at] = -1;
        feature[at] = -1;
        const v = tree.value[raw]!;
        if (Number.isNaN(v)) throw new ModelFormatError("invalid", `tree ${t}: leaf ${raw} has value NaN`);
        value[at] = v;
        continue;
      }
      const f = tree.feature[raw]!;
      if (!Number.isInteger(f) || f < 0 || f >= header.numFeatures) {
        throw new ModelFormatError(
          "invalid",
          `tree ${t}: split feature ${f} outside [0, ${header.numFeatures})`,
        );
      }
      feature[at] = f;
      const d = tree.decision[raw]!;
      decision[at] = d;
      const th = tree.threshold[raw]!;
      if (d & 1) {
        if (!Number.isInteger(th) || th < 0 || th >= numCatSplits) {
          throw new ModelFormatError(
            "invalid",
            `tree ${t}: categorical split ${th} outside [0, ${numCatSplits})`,
          );
        }
      } else if (Number.isNaN(th)) {
        throw new ModelFormatError("invalid", `tree ${t}: node ${raw} has threshold NaN`);
      }
      threshold[at] = th;
      gain[at] = tree.gain[raw] ?? 0;
      // Push right first so the left subtree is laid out right after its parent.
      stack.push([tree.right[raw]!, depth + 1, (at << 1) | 1]);
      stack.push([l, depth + 1, at << 1]);
    }
  }
  treeStart[trees.length] = next;

  // Nodes unreachable from a root (XGBoost's deleted nodes) are dropped.
  return {
    ...header,
    numTrees: trees.length,
    numNodes: next,
    treeStart,
    treeOutput,
    left: left.subarray(0, next),
    right: right.subarray(0, next),
    feature: feature.subarray(0, next),
    threshold: threshold.subarray(0, next),
    decision: decision.subarray(0, next),
    value: value.subarray(0, next),
    cover: cover.subarray(0, next),
    gain: gain.subarray(0, next),
  };
}
