import { DecisionFlag, MissingType, type TreeEnsemble } from "../models/ensemble.js";

/**
 * FastTreeSHAP-v2-style precomputation (Yang 2021), per leaf.
 *
 * For a leaf with value v whose root path splits on the d unique features
 * P = {p_0 … p_{d-1}} (slot k = order of first appearance on the path), let
 * z_k be the product of the cover shares along the path for p_k and, for one
 * row, o_k ∈ {0, 1} whether the row follows every split on p_k. Path-dependent
 * TreeSHAP of that leaf is the Shapley value of the product game, which with
 * S = {k : o_k = 1} and G(S) = Σ_{Q⊆S} w(|Q|) Π_{k∈P∖Q} z_k,
 * w(q) = q!(d−q−1)!/d! gives
 *   φ_{p_k} += −v·G(S)                         for k ∉ S
 *   φ_{p_k} += v·(1 − z_k)/z_k · G(S ∖ {k})     for k ∈ S.
 * So a row costs O(d) per leaf after an O(2^d·d) table A[S] = v·G(S).
 * G(S) = Π_{k∉S} z_k · Σ_q w(q)·[t^q] Π_{k∈S}(z_k + t).
 *
 * This module lays out the records and assigns each table its place; the
 * core fills the tables (buildTables, src/treeshap/assembly/index.ts). Leaves
 * whose table would break the memory budget, or with a zero cover share, are
 * "direct": for a block of rows large enough to pay for it, the core builds
 * their tables for that block only (per tree, in scratch); otherwise it
 * evaluates them from (z_k, o_k) with the path polynomial in O(d²).
 */
/** Bytes of one internal-node record in `Precomputed.internal`. */
export const INTERNAL_BYTES = 24;
/** Bytes of one tree record in `Precomputed.treeInfo`. */
export const TREE_INFO_BYTES = 24;
/** Bytes of a leaf record's header in `Precomputed.leafInfo`, before its d slot entries of 16 bytes. */
export const LEAF_HEADER_BYTES = 16;

export interface Precomputed {
  /**
   * Per tree, its internal nodes in preorder, INTERNAL_BYTES each: f64 threshold
   * (a numeric split's as numericSplit gives it), i32 (feature << 8) | decision flags,
   * i32 byte offset of the node's pattern, i32 the right child's (8 × node relative to
   * the tree's root; the left child's follows the node's), i32 slot | SplitBits. The
   * core walks these in order, carrying each node's path pattern, with no stack.
   */
  readonly internal: ArrayBuffer;
  /** How the core normalises rows before the pattern pass (RowRule). */
  readonly rowRule: number;
  /**
   * Per tree, its leaf records, 8-byte aligned, table leaves first: i32 byte offset of
   * its table in the tables region (−1 = direct), i32 d, i32 byte offset of its node's
   * pattern (8 × node relative to the root), i32 byte offset of a direct leaf's table in
   * the per-block region (−1 = always direct), then d × {i32 byte offset of the feature
   * in a SHAP row (8 × feature), i32 pad, f64 c_k = (1 − z_k)/z_k (direct: z_k)}, then
   * the f64 leaf value. Byte offsets save the core a shift per read in its hottest loop.
   */
  readonly leafInfo: ArrayBuffer;
  /**
   * Per tree, TREE_INFO_BYTES: i32 first internal record (index), i32 internal count,
   * i32 first leaf record (byte offset), i32 table-leaf count, i32 direct-leaf count, i32 pad.
   */
  readonly treeInfo: Int32Array;
  /** Bytes of the tables region; the core fills it (buildTables). */
  readonly tableBytes: number;
  /**
   * Bytes the core needs for one tree's direct leaves' tables during a block of rows
   * (the largest tree's sum of 2^d + d doubles over its direct leaves, capped).
   */
  readonly blockTableBytes: number;
  readonly maxUniqueDepth: number;
  /** Nodes of the largest tree: sizes the core's per-node pattern scratch. */
  readonly maxTreeNodes: number;
  readonly directLeaves: number;
  readonly tableLeaves: number;
}

export interface PrecomputeOptions {
  /** Bytes of tables at most (default DEFAULT_TABLE_BUDGET_BYTES); leaves with the smallest d get tables first. */
  readonly tableBudgetBytes?: number;
  /** Never build a table for d above this (default and at most MAX_TABLE_DEPTH). */
  readonly maxTableDepth?: number;
}

/**
 * Default table budget per Explainer. Measured on the design §9 models
 * (docs/treeshap.md): tables for every leaf take 88 MiB (XGBoost depth 8) and
 * 282 MiB (LightGBM 63 leaves); 64 MiB gives 72–90 % of the full-table speed.
 * Not more: the scorer holds one Explainer per compute worker (and two during a
 * model swap) under a 1 GiB default memory limit.
 */
export const DEFAULT_TABLE_BUDGET_BYTES = 64 << 20;

interface LeafPath {
  readonly tree: number;
  readonly node: number;
  readonly features: Int32Array;
  readonly z: Float64Array;
}

export function precompute(
  model: TreeEnsemble,
  zf: Float64Array,
  options: PrecomputeOptions = {},
): Precomputed {
  const budget = (options.tableBudgetBytes ?? DEFAULT_TABLE_BUDGET_BYTES) / 8;
  const maxTableDepth = Math.min(options.maxTableDepth ?? MAX_TABLE_DEPTH, MAX_TABLE_DEPTH);
  const numInternal = model.numNodes - countLeaves(model);
  const internal = new ArrayBuffer(numInternal * INTERNAL_BYTES);
  const inF64 = new Float64Array(internal);
  const inI32 = new Int32Array(internal);
  const INFO = TREE_INFO_BYTES / 4;
  const treeInfo = new Int32Array(model.numTrees * INFO);
  const leaves: LeafPath[] = [];
  let maxUniqueDepth = 0;
  let maxTreeNodes = 0;
  let nextInternal = 0;
  // XGBoost marks every split FLOAT32_LESS, LightGBM none.
  const rowRule = model.decision.some((d) => (d & DecisionFlag.FLOAT32_LESS) !== 0)
    ? RowRule.FLOAT32
    : RowRule.ZERO_THRESHOLD;

  // Depth-first over each tree with the path's unique features and z products.
  for (let t = 0; t < model.numTrees; t++) {
    const root = model.treeStart[t]!;
    maxTreeNodes = Math.max(maxTreeNodes, model.treeStart[t + 1]! - root);
    treeInfo[t * INFO] = nextInternal;
    const feats: number[] = [];
    const zs: number[] = [];
    const walk = (i: number): void => {
      const l = model.left[i]!;
      if (l < 0) {
        leaves.push({ tree: t, node: i, features: Int32Array.from(feats), z: Float64Array.from(zs) });
        maxUniqueDepth = Math.max(maxUniqueDepth, feats.length);
        return;
      }
      const f = model.feature[i]!;
      let slot = feats.indexOf(f);
      const isNew = slot < 0;
      if (isNew) {
        slot = feats.length;
        feats.push(f);
        zs.push(1);
      }
      const rec = nextInternal++ * INTERNAL_BYTES;
      const split = numericSplit(model.decision[i]!, model.threshold[i]!, rowRule);
      inF64[rec >> 3] = split?.threshold ?? model.threshold[i]!;
      inI32[(rec >> 2) + 2] = (f << 8) | model.decision[i]!;
      inI32[(rec >> 2) + 3] = (i - root) * 8;
      inI32[(rec >> 2) + 4] = (model.right[i]! - root) * 8;
      inI32[(rec >> 2) + 5] = slot | (isNew ? SplitBits.NEW_SLOT : 0) | (split?.bits ?? SplitBits.GENERIC);
      for (const c of [l, model.right[i]!]) {
        const saved = zs[slot]!;
        zs[slot] = saved * zf[c]!;
        walk(c);
        zs[slot] = saved;
      }
      if (isNew) {
        feats.pop();
        zs.pop();
      }
    };
    walk(root);
    treeInfo[t * INFO + 1] = nextInternal - treeInfo[t * INFO]!;
  }

  // Tables for the shallowest leaves first, within the budget.
  const order = leaves
    .map((_, k) => k)
    .sort((a, b) => leaves[a]!.features.length - leaves[b]!.features.length);
  const tableAt = new Int32Array(leaves.length).fill(-1);
  let used = 0;
  for (const k of order) {
    const leaf = leaves[k]!;
    const d = leaf.features.length;
    if (!tablePossible(leaf, maxTableDepth) || used + (1 << d) > budget) continue;
    tableAt[k] = used;
    used += 1 << d;
  }

  let infoBytes = 0;
  for (const leaf of leaves) infoBytes += LEAF_HEADER_BYTES + 16 * leaf.features.length + 8;
  const leafInfo = new ArrayBuffer(infoBytes);
  const i32 = new Int32Array(leafInfo);
  const f64 = new Float64Array(leafInfo);
  let at = 0;
  let tableLeaves = 0;
  let blockTableBytes = 0;
  // Leaves are grouped by tree (the walk's order); within a tree, table leaves first.
  let first = 0;
  while (first < leaves.length) {
    const t = leaves[first]!.tree;
    let end = first;
    while (end < leaves.length && leaves[end]!.tree === t) end++;
    const ks = Array.from({ length: end - first }, (_, j) => first + j);
    const withTable = ks.filter((k) => tableAt[k]! >= 0);
    const direct = ks.filter((k) => tableAt[k]! < 0);
    treeInfo[t * INFO + 2] = at;
    treeInfo[t * INFO + 3] = withTable.length;
    treeInfo[t * INFO + 4] = direct.length;
    let blockAt = 0;
    for (const k of [...withTable, ...direct]) {
      const leaf = leaves[k]!;
      const d = leaf.features.length;
      const table = tableAt[k]! >= 0;
      const blockBytes = 8 * ((1 << d) + d);
      const blockTable =
        !table && tablePossible(leaf, maxTableDepth) && blockAt + blockBytes <= BLOCK_TABLE_CAP_BYTES;
      i32[at >> 2] = table ? tableAt[k]! * 8 : -1;
      i32[(at >> 2) + 1] = d;
      i32[(at >> 2) + 2] = (leaf.node - model.treeStart[t]!) * 8;
      i32[(at >> 2) + 3] = blockTable ? blockAt : -1;
      if (blockTable) blockAt += blockBytes;
      for (let s = 0; s < d; s++) {
        const rec = at + LEAF_HEADER_BYTES + 16 * s;
        i32[rec >> 2] = leaf.features[s]! * 8;
        const z = leaf.z[s]!;
        f64[(rec + 8) >> 3] = table ? (1 - z) / z : z;
      }
      at += LEAF_HEADER_BYTES + 16 * d;
      f64[at >> 3] = model.value[leaf.node]!;
      at += 8;
      if (table) tableLeaves++;
    }
    blockTableBytes = Math.max(blockTableBytes, blockAt);
    first = end;
  }
  return {
    internal,
    rowRule,
    leafInfo,
    treeInfo,
    tableBytes: used * 8,
    blockTableBytes,
    maxUniqueDepth,
    maxTreeNodes,
    directLeaves: leaves.length - tableLeaves,
    tableLeaves,
  };
}

/** Largest d with a table: the core's fillTable scratch is sized for it (MAX_TABLE_DEPTH there). */
export const MAX_TABLE_DEPTH = 16;

/**
 * Per-block tables of one tree's direct leaves take at most this: beyond it a
 * leaf is always evaluated directly (a LightGBM tree of 64 leaves with 16
 * unique features each would otherwise need 32 MiB).
 */
const BLOCK_TABLE_CAP_BYTES = 8 << 20;

/** A table needs 1 ≤ d ≤ maxTableDepth and every cover share > 0 (c_k = (1 − z_k)/z_k). */
function tablePossible(leaf: LeafPath, maxTableDepth: number): boolean {
  const d = leaf.features.length;
  return d > 0 && d <= maxTableDepth && leaf.z.every((z) => z > 0);
}

/**
 * How the core normalises each row before the pattern pass, once per row
 * instead of once per node. Both rules are idempotent and leave every split's
 * outcome unchanged (src/treeshap/assembly/index.ts, decide): FLOAT32 rounds x
 * to float32, as XGBoost's splits do; ZERO_THRESHOLD reads |x| ≤ 1e-35 as 0,
 * as LightGBM's row parser does. NaN stays NaN.
 */
export const RowRule = { ZERO_THRESHOLD: 0, FLOAT32: 1 } as const;

/** Bits above the slot (bits 0–7) in an internal record's last word. */
export const SplitBits = {
  /** The split's feature is new on the path (slot | NEW_SLOT, as before). */
  NEW_SLOT: 1 << 8,
  /** Decided by the general rule (categorical, or a numeric split not matching the row rule). */
  GENERIC: 1 << 9,
  /** Numeric, normalised x: NaN goes left. */
  NAN_LEFT: 1 << 10,
  /** Numeric, normalised x: ±0 goes left. */
  ZERO_LEFT: 1 << 11,
} as const;

const f32Bits = new Float32Array(1);
const i32OfF32 = new Int32Array(f32Bits.buffer);

/** The largest float32 below the float32 `t` (t finite or +∞). */
function previousFloat32(t: number): number {
  f32Bits[0] = t;
  if (t === 0) i32OfF32[0] = 0x80000001 | 0;
  else if (t > 0) i32OfF32[0] = i32OfF32[0]! - 1;
  else i32OfF32[0] = i32OfF32[0]! + 1;
  // The two views share one buffer: this reads the float the integer step made.
  return f32Bits[0];
}

/**
 * A numeric split as `x ≤ threshold` on the normalised x, plus where NaN and ±0
 * go (each a constant of the split), or undefined when the general rule must
 * decide. Under FLOAT32, x and fround(t) are float32 values, so x < fround(t)
 * ⇔ x ≤ the float32 just below fround(t) (never true when fround(t) is −∞ or NaN,
 * hence the NaN threshold).
 */
function numericSplit(
  flags: number,
  threshold: number,
  rowRule: number,
): { readonly threshold: number; readonly bits: number } | undefined {
  if (flags & DecisionFlag.CATEGORICAL) return undefined;
  const float32 = (flags & DecisionFlag.FLOAT32_LESS) !== 0;
  if (float32 !== (rowRule === RowRule.FLOAT32)) return undefined;
  const missing = (flags & DecisionFlag.MISSING_MASK) >> DecisionFlag.MISSING_SHIFT;
  const defaultLeft = (flags & DecisionFlag.DEFAULT_LEFT) !== 0;
  let t: number;
  let zeroLeft: boolean;
  if (float32) {
    const f = Math.fround(threshold);
    t = f === -Infinity || Number.isNaN(f) ? NaN : previousFloat32(f);
    zeroLeft = 0 < f;
  } else {
    t = threshold;
    zeroLeft = missing === MissingType.Zero ? defaultLeft : 0 <= threshold;
  }
  // Missing type NaN sends NaN to the default child; the others read NaN as 0.
  const nanLeft = missing === MissingType.NaN ? defaultLeft : zeroLeft;
  return { threshold: t, bits: (nanLeft ? SplitBits.NAN_LEFT : 0) | (zeroLeft ? SplitBits.ZERO_LEFT : 0) };
}

function countLeaves(model: TreeEnsemble): number {
  let n = 0;
  for (let i = 0; i < model.numNodes; i++) if (model.left[i]! < 0) n++;
  return n;
}
