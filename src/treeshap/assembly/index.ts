// Exact path-dependent TreeSHAP and raw-margin prediction over a flat tree
// ensemble in linear memory. Only scalars and byte offsets cross the boundary;
// the host (src/treeshap/explainer.ts) lays out memory and grows it.
//
// Memory layout (all offsets in bytes, written by the host):
//   nodes   NODE_BYTES per node, trees in depth-first preorder, so the left
//           child of internal node i is i + 1:
//             +0  f64 threshold (categorical: index of the bitset)
//             +8  f64 leaf value (0 for internal nodes)
//             +16 f64 zero fraction: cover(node) / (cover(node) + cover(sibling)); 1 for a root
//             +24 i32 right child (absolute node index), -1 for a leaf
//             +28 i32 (feature << 8) | decision flags (src/models/ensemble.ts DecisionFlag);
//                 feature < 2^23 (MAX_LAYOUT_FEATURES in src/treeshap/explainer.ts, checked on load)
//   trees   8 bytes per tree: i32 root node, i32 output
//   cats    i32 catBoundaries[], then u32 catBits[] at catBitsPtr
//   bias    f64 per output: expected value (SHAP bias) per output
//   base    f64 per output: raw-margin intercept
//   rows    f64 [nRows × numFeatures], NaN = missing
//   out     predict: f64 [nRows × numOutputs]
//           shap:    f64 [nRows × numOutputs × (numFeatures + 1)], bias last
//   internal, treeInfo, leafInfo, tables, weights   the per-leaf precomputation (setFast;
//           see src/treeshap/precompute.ts for the records and the math)
//   scratch shap only: classic PATH_BYTES × (maxDepth + 2) × (maxDepth + 3) / 2;
//           fast: a u64 path pattern per node of the largest tree, then the path polynomial

const NODE_BYTES: usize = 32;
const PATH_BYTES: usize = 32;
const CATEGORICAL: i32 = 1;
const DEFAULT_LEFT: i32 = 2;
const FLOAT32_LESS: i32 = 16;
const MISSING_ZERO: i32 = 1;
const MISSING_NAN: i32 = 2;
// LightGBM's kZeroThreshold (1e-35f) as a double.
const ZERO_THRESHOLD: f64 = 1.0000000180025095e-35;

let nodes: usize = 0;
let trees: usize = 0;
let numTrees: i32 = 0;
let catBounds: usize = 0;
let catBits: usize = 0;
let numFeatures: i32 = 0;
let numOutputs: i32 = 0;
let biasPtr: usize = 0;
let basePtr: usize = 0;
let internalPtr: usize = 0;
let treeInfoPtr: usize = 0;
let leafInfoPtr: usize = 0;
let tablesPtr: usize = 0;
let patternBytes: usize = 0;
// Scratch regions, laid out by layScratch.
let polyPtr: usize = 0;
let fillPtr: usize = 0;
let blockPtr: usize = 0;
let rowRule: i32 = 0;
let weightsPtr: usize = 0;

/** Lowest byte offset the host may use. */
export function heapBase(): usize {
  return __heap_base;
}

export function setModel(
  nodesPtr: usize,
  treesPtr: usize,
  nTrees: i32,
  catBoundsPtr: usize,
  catBitsPtr: usize,
  nFeatures: i32,
  nOutputs: i32,
  bias: usize,
  base: usize,
): void {
  nodes = nodesPtr;
  trees = treesPtr;
  numTrees = nTrees;
  catBounds = catBoundsPtr;
  catBits = catBitsPtr;
  numFeatures = nFeatures;
  numOutputs = nOutputs;
  biasPtr = bias;
  basePtr = base;
}

/**
 * The per-leaf precomputation of src/treeshap/precompute.ts; `maxTreeNodes` sizes the per-node
 * pattern scratch; `rule` is its RowRule; `weights` holds the Shapley weights w_d(q) = q!(d−q−1)!/d! as f64 [64][65] (row d, column q).
 */
export function setFast(
  internal: usize,
  treeInfo: usize,
  leafInfo: usize,
  tables: usize,
  maxTreeNodes: i32,
  weights: usize,
  rule: i32,
): void {
  internalPtr = internal;
  treeInfoPtr = treeInfo;
  leafInfoPtr = leafInfo;
  tablesPtr = tables;
  patternBytes = usize(maxTreeNodes) << 3;
  weightsPtr = weights;
  rowRule = rule;
}

function categoryIn(x: f64, setIndex: i32): bool {
  if (!(x > -1.0 && x < 2147483648.0)) return false;
  const c = i32(x);
  const begin = load<i32>(catBounds + (usize(setIndex) << 2));
  const end = load<i32>(catBounds + (usize(setIndex) << 2), 4);
  const word = c >>> 5;
  if (word >= end - begin) return false;
  return ((load<u32>(catBits + (usize(begin + word) << 2)) >>> (u32(c) & 31)) & 1) != 0;
}

/** Whether a row with value `x` at node `node` (a byte offset) goes to the left child. */
function goesLeft(node: usize, x: f64): bool {
  return decide(load<i32>(node, 28) & 0xff, load<f64>(node), x);
}

/** The split rule of src/models/ensemble.ts for decision `flags` and `threshold`. */
function decide(flags: i32, threshold: f64, x: f64): bool {
  const missing = (flags >> 2) & 3;
  if (isNaN(x)) {
    if (missing == MISSING_NAN) return (flags & DEFAULT_LEFT) != 0;
    x = 0.0;
  }
  if (flags & CATEGORICAL) {
    if (flags & FLOAT32_LESS) {
      x = f64(f32(x));
      if (x < 0.0) return false;
    }
    return categoryIn(x, i32(threshold));
  }
  if (flags & FLOAT32_LESS) return f32(x) < f32(threshold);
  // LightGBM reads |x| ≤ kZeroThreshold as 0 (its row parser drops such values).
  if (x >= -ZERO_THRESHOLD && x <= ZERO_THRESHOLD) {
    if (missing == MISSING_ZERO) return (flags & DEFAULT_LEFT) != 0;
    x = 0.0;
  }
  return x <= threshold;
}

/** Raw margin for `nRows` rows. */
export function predict(rows: usize, nRows: i32, out: usize): void {
  const rowBytes = usize(numFeatures) << 3;
  for (let r = 0; r < nRows; r++) {
    const row = rows + usize(r) * rowBytes;
    const o = out + ((usize(r) * usize(numOutputs)) << 3);
    for (let k = 0; k < numOutputs; k++)
      store<f64>(o + (usize(k) << 3), load<f64>(basePtr + (usize(k) << 3)));
    for (let t = 0; t < numTrees; t++) {
      let i = load<i32>(trees + (usize(t) << 3));
      const output = load<i32>(trees + (usize(t) << 3), 4);
      let node = nodes + usize(i) * NODE_BYTES;
      let right = load<i32>(node, 24);
      while (right >= 0) {
        const f = load<i32>(node, 28) >> 8;
        const x = load<f64>(row + (usize(f) << 3));
        i = goesLeft(node, x) ? i + 1 : right;
        node = nodes + usize(i) * NODE_BYTES;
        right = load<i32>(node, 24);
      }
      const p = o + (usize(output) << 3);
      store<f64>(p, load<f64>(p) + load<f64>(node, 8));
    }
  }
}

// Path element: +0 f64 zero fraction, +8 f64 one fraction, +16 f64 weight, +24 i32 feature.

function extendPath(path: usize, depth: i32, zf: f64, oneF: f64, fi: i32): void {
  const e = path + usize(depth) * PATH_BYTES;
  store<f64>(e, zf);
  store<f64>(e, oneF, 8);
  store<f64>(e, depth == 0 ? 1.0 : 0.0, 16);
  store<i32>(e, fi, 24);
  const inv = 1.0 / f64(depth + 1);
  for (let i = depth - 1; i >= 0; i--) {
    const p = path + usize(i) * PATH_BYTES;
    const w = load<f64>(p, 16);
    store<f64>(p, load<f64>(p, 16 + PATH_BYTES) + oneF * w * f64(i + 1) * inv, 16 + PATH_BYTES);
    store<f64>(p, zf * w * f64(depth - i) * inv, 16);
  }
}

function unwindPath(path: usize, depth: i32, index: i32): void {
  const e = path + usize(index) * PATH_BYTES;
  const zf = load<f64>(e);
  const oneF = load<f64>(e, 8);
  let next = load<f64>(path + usize(depth) * PATH_BYTES, 16);
  const d1 = f64(depth + 1);
  for (let i = depth - 1; i >= 0; i--) {
    const p = path + usize(i) * PATH_BYTES;
    if (oneF != 0) {
      const tmp = load<f64>(p, 16);
      const w = (next * d1) / (f64(i + 1) * oneF);
      store<f64>(p, w, 16);
      next = tmp - (w * zf * f64(depth - i)) / d1;
    } else {
      store<f64>(p, (load<f64>(p, 16) * d1) / (zf * f64(depth - i)), 16);
    }
  }
  for (let i = index; i < depth; i++) {
    const p = path + usize(i) * PATH_BYTES;
    store<f64>(p, load<f64>(p, PATH_BYTES));
    store<f64>(p, load<f64>(p, 8 + PATH_BYTES), 8);
    store<i32>(p, load<i32>(p, 24 + PATH_BYTES), 24);
  }
}

function unwoundPathSum(path: usize, depth: i32, index: i32): f64 {
  const e = path + usize(index) * PATH_BYTES;
  const zf = load<f64>(e);
  const oneF = load<f64>(e, 8);
  let next = load<f64>(path + usize(depth) * PATH_BYTES, 16);
  let total: f64 = 0;
  if (oneF != 0) {
    const inv = 1.0 / oneF;
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = (next * inv) / f64(i + 1);
      total += tmp;
      next = load<f64>(path + usize(i) * PATH_BYTES, 16) - tmp * zf * f64(depth - i);
    }
  } else {
    for (let i = depth - 1; i >= 0; i--) {
      total += load<f64>(path + usize(i) * PATH_BYTES, 16) / (zf * f64(depth - i));
    }
  }
  return total * f64(depth + 1);
}

function treeShap(
  row: usize,
  phi: usize,
  i: i32,
  depth: i32,
  parentPath: usize,
  pz: f64,
  po: f64,
  pfi: i32,
): void {
  const path = parentPath + usize(depth) * PATH_BYTES;
  if (depth > 0) memory.copy(path, parentPath, usize(depth) * PATH_BYTES);
  extendPath(path, depth, pz, po, pfi);
  const node = nodes + usize(i) * NODE_BYTES;
  const right = load<i32>(node, 24);
  if (right < 0) {
    const v = load<f64>(node, 8);
    for (let k = 1; k <= depth; k++) {
      const e = path + usize(k) * PATH_BYTES;
      const w = unwoundPathSum(path, depth, k);
      const p = phi + (usize(load<i32>(e, 24)) << 3);
      store<f64>(p, load<f64>(p) + w * (load<f64>(e, 8) - load<f64>(e)) * v);
    }
    return;
  }
  const f = load<i32>(node, 28) >> 8;
  const left = i + 1;
  let hot = right;
  let cold = left;
  if (goesLeft(node, load<f64>(row + (usize(f) << 3)))) {
    hot = left;
    cold = right;
  }
  const hotZ = load<f64>(nodes + usize(hot) * NODE_BYTES, 16);
  const coldZ = load<f64>(nodes + usize(cold) * NODE_BYTES, 16);
  let inZ: f64 = 1;
  let inO: f64 = 1;
  let k = 0;
  for (; k <= depth; k++) {
    if (load<i32>(path + usize(k) * PATH_BYTES, 24) == f) break;
  }
  if (k != depth + 1) {
    const e = path + usize(k) * PATH_BYTES;
    inZ = load<f64>(e);
    inO = load<f64>(e, 8);
    unwindPath(path, depth, k);
    depth -= 1;
  }
  treeShap(row, phi, hot, depth + 1, path, hotZ * inZ, inO, f);
  treeShap(row, phi, cold, depth + 1, path, coldZ * inZ, 0, f);
}

/** Classic O(T·L·D²) path-dependent TreeSHAP (Lundberg et al.), row by row; same output as `shap`. */
export function shapClassic(rows: usize, nRows: i32, out: usize, scratch: usize): void {
  const rowBytes = usize(numFeatures) << 3;
  const width = usize(numFeatures + 1);
  const total = usize(nRows) * usize(numOutputs) * width;
  memory.fill(out, 0, total << 3);
  for (let r = 0; r < nRows; r++) {
    const row = rows + usize(r) * rowBytes;
    const o = out + ((usize(r) * usize(numOutputs) * width) << 3);
    for (let k = 0; k < numOutputs; k++) {
      store<f64>(o + ((usize(k) * width + usize(numFeatures)) << 3), load<f64>(biasPtr + (usize(k) << 3)));
    }
    for (let t = 0; t < numTrees; t++) {
      const root = load<i32>(trees + (usize(t) << 3));
      const output = load<i32>(trees + (usize(t) << 3), 4);
      treeShap(row, o + ((usize(output) * width) << 3), root, 0, scratch, 1, 1, -1);
    }
  }
}

// ---------------------------------------------------------------- precomputed (FastTreeSHAP v2 style)

// Rows per block: each tree's tables are read once per block, so the block amortises
// streaming them from memory (88 MiB of tables for the design §9 depth-8 model).
// Measured (docs/treeshap.md): 32 → 1024 rows took depth 8 from 369 to 690 rows/s;
// 4096 gained nothing more.
const BLOCK: i32 = 1024;
const INTERNAL_BYTES: usize = 24;
const TREE_INFO_BYTES: usize = 24;
const LEAF_HEADER_BYTES: usize = 16;
// SplitBits and RowRule of src/treeshap/precompute.ts.
const NEW_SLOT: i32 = 1 << 8;
const GENERIC: i32 = 1 << 9;
const NAN_LEFT: i32 = 1 << 10;
const ZERO_LEFT: i32 = 1 << 11;
const ROW_FLOAT32: i32 = 1;

/**
 * Normalises rows in place so a numeric split is one comparison (RowRule in
 * src/treeshap/precompute.ts): float32 rounding (XGBoost) or |x| ≤ 1e-35 read as 0
 * (LightGBM). Idempotent, and `decide` gives every split the same answer on the result.
 */
function normaliseRows(rows: usize, count: usize): void {
  const end = rows + (count << 3);
  if (rowRule == ROW_FLOAT32) {
    for (let p = rows; p < end; p += 8) store<f64>(p, f64(f32(load<f64>(p))));
  } else {
    for (let p = rows; p < end; p += 8) {
      const x = load<f64>(p);
      store<f64>(p, select<f64>(0.0, x, x >= -ZERO_THRESHOLD && x <= ZERO_THRESHOLD));
    }
  }
}

/**
 * Path patterns of every node of one tree for one row, into `pat` (u64 per node,
 * relative index): bit k set = the row follows every split on slot k so far.
 * A linear pass over the internal records in preorder (a parent comes before its
 * children), so there is no stack and the only data-dependent choices are selects.
 */
function treePatterns(row: usize, first: usize, count: i32, pat: usize): void {
  store<u64>(pat, 0);
  let rec = internalPtr + first * INTERNAL_BYTES;
  const end = rec + usize(count) * INTERNAL_BYTES;
  for (; rec < end; rec += INTERNAL_BYTES) {
    const ff = load<i32>(rec, 8);
    const node = pat + usize(load<i32>(rec, 12));
    const right = pat + usize(load<i32>(rec, 16));
    const aux = load<i32>(rec, 20);
    const x = load<f64>(row + (usize(ff >> 8) << 3));
    const threshold = load<f64>(rec);
    // A numeric split on the normalised row is x ≤ threshold, with NaN and ±0 sent
    // where the split sends them (constants of the split): selects, no branches.
    let left = select<bool>(
      (aux & NAN_LEFT) != 0,
      select<bool>((aux & ZERO_LEFT) != 0, x <= threshold, x == 0.0),
      x != x,
    );
    if (aux & GENERIC) left = decide(ff & 0xff, threshold, x);
    const p = load<u64>(node);
    const bit = u64(1) << u64(aux & 0xff);
    const hot = aux & NEW_SLOT ? p | bit : p;
    const cold = p & ~bit;
    store<u64>(node, select<u64>(hot, cold, left), 8);
    store<u64>(right, select<u64>(cold, hot, left));
  }
}

/**
 * Table leaves: φ[p_k] += c_k·A[S ∖ k] for k ∈ S, −A[S] for k ∉ S. Both are one
 * read at S with bit k cleared, scaled by c_k or −1, so the loop has no branch
 * on the row's bits. Returns the byte offset after the last record.
 */
function tableLeaves(phi: usize, rec: usize, count: i32, pat: usize): usize {
  for (let j = 0; j < count; j++) {
    const tp = tablesPtr + usize(load<i32>(rec));
    const d = load<i32>(rec, 4);
    const pattern = load<u64>(pat + usize(load<i32>(rec, 8)));
    let e = rec + LEAF_HEADER_BYTES;
    const end = e + (usize(d) << 4);
    // A[S with bit k cleared] is A[S] itself when k ∉ S.
    for (let bit: u64 = 1; e < end; e += 16, bit <<= 1) {
      const a = load<f64>(tp + (usize(pattern & ~bit) << 3));
      const p = phi + usize(load<i32>(e));
      store<f64>(p, load<f64>(p) + select<f64>(load<f64>(e, 8), -1.0, (pattern & bit) != 0) * a);
    }
    rec = end + 8; // the leaf value
  }
  return rec;
}

/** The record after `count` leaf records from `rec`. */
function skipLeaves(rec: usize, count: i32): usize {
  for (let j = 0; j < count; j++) rec += LEAF_HEADER_BYTES + (usize(load<i32>(rec, 4)) << 4) + 8;
  return rec;
}

/**
 * Whether a direct leaf with `d` slots gets a table for a block of `rows` rows: filling one
 * costs ~30 cycles per entry, a row ~1.7·d² cycles directly and ~4.5·d from a table. The rule
 * rows·d ≥ 4·2^d (d = 8: 128 rows) was the fastest of those tried on the design §9 models at
 * 60 to 1,000 rows (docs/treeshap.md).
 */
function blockTableWorth(d: i32, rows: i32): bool {
  return i64(rows) * i64(d) >= i64(4) << i64(d);
}

/**
 * Tables for one tree's direct leaves that carry a block-table offset, for a block of `rows` rows
 * (blockTableWorth): the table, then c_k = (1 − z_k)/z_k per slot, at blockPtr + offset. The
 * budget bounds the tables kept for the model's life; these live for one block and one tree.
 */
function fillBlockTables(rec: usize, count: i32, rows: i32): void {
  for (let j = 0; j < count; j++) {
    const d = load<i32>(rec, 4);
    const at = load<i32>(rec, 12);
    const slots = rec + LEAF_HEADER_BYTES;
    if (at >= 0 && blockTableWorth(d, rows)) {
      const tp = blockPtr + usize(at);
      fillTable(tp, slots, d, load<f64>(slots + (usize(d) << 4)), false);
      const c = tp + (usize(1) << usize(d + 3));
      for (let k = 0; k < d; k++) {
        const z = load<f64>(slots + (usize(k) << 4), 8);
        store<f64>(c + (usize(k) << 3), (1 - z) / z);
      }
    }
    rec = slots + (usize(d) << 4) + 8;
  }
}

/**
 * Direct leaves. With a block table (fillBlockTables), as tableLeaves. Otherwise from the path
 * polynomial P(t) = Π_{k∈S}(z_k + t) (z_k is stored in place of c_k): G(S) = Zout·Σ_q w(q)·P_q,
 * and for k ∈ S, c_k·G(S∖k) = (1 − z_k)·Zout·Σ_q w(q)·(P / (t + z_k))_q, the quotient by
 * synthetic division from the top (no divisions).
 */
function directLeaves(phi: usize, rec: usize, count: i32, pat: usize, poly: usize, rows: i32): void {
  for (let j = 0; j < count; j++) {
    const d = load<i32>(rec, 4);
    const pattern = load<u64>(pat + usize(load<i32>(rec, 8)));
    const at = load<i32>(rec, 12);
    const slots = rec + LEAF_HEADER_BYTES;
    const end = slots + (usize(d) << 4);
    if (at >= 0 && blockTableWorth(d, rows)) {
      const tp = blockPtr + usize(at);
      let c = tp + (usize(1) << usize(d + 3));
      for (let e = slots, bit: u64 = 1; e < end; e += 16, c += 8, bit <<= 1) {
        const a = load<f64>(tp + (usize(pattern & ~bit) << 3));
        const p = phi + usize(load<i32>(e));
        store<f64>(p, load<f64>(p) + select<f64>(load<f64>(c), -1.0, (pattern & bit) != 0) * a);
      }
      rec = end + 8;
      continue;
    }
    const v = load<f64>(end);
    store<f64>(poly, 1.0);
    let m = 0;
    let zout: f64 = 1;
    for (let k = 0; k < d; k++) {
      const z = load<f64>(slots + (usize(k) << 4), 8);
      if ((pattern >> u64(k)) & 1) {
        store<f64>(poly + (usize(m + 1) << 3), 0.0);
        for (let i = m + 1; i >= 1; i--) {
          const pi = poly + (usize(i) << 3);
          store<f64>(pi, load<f64>(pi - 8) + z * load<f64>(pi));
        }
        store<f64>(poly, z * load<f64>(poly));
        m++;
      } else {
        zout *= z;
      }
    }
    const w = weightsPtr + usize(d) * 65 * 8;
    let sum: f64 = 0;
    for (let i = 0; i <= m; i++) sum += load<f64>(w + (usize(i) << 3)) * load<f64>(poly + (usize(i) << 3));
    const gOut = v * zout * sum;
    const vz = v * zout;
    for (let k = 0; k < d; k++) {
      const e = slots + (usize(k) << 4);
      const p = phi + usize(load<i32>(e));
      if ((pattern >> u64(k)) & 1) {
        const z = load<f64>(e, 8);
        let q = load<f64>(poly + (usize(m) << 3));
        let acc = load<f64>(w + (usize(m - 1) << 3)) * q;
        for (let i = m - 1; i >= 1; i--) {
          q = load<f64>(poly + (usize(i) << 3)) - z * q;
          acc += load<f64>(w + (usize(i - 1) << 3)) * q;
        }
        store<f64>(p, load<f64>(p) + vz * (1 - z) * acc);
      } else {
        store<f64>(p, load<f64>(p) - gOut);
      }
    }
    rec = end + 8;
  }
}

// ---------------------------------------------------------------- tables

/** Largest d with a table (src/treeshap/precompute.ts, maxTableDepth at most this). */
const MAX_TABLE_DEPTH: i32 = 16;
/** fillTable's scratch: z per slot, then one polynomial per level. */
const FILL_BYTES: usize =
  usize(MAX_TABLE_DEPTH + 1) * 8 + usize(MAX_TABLE_DEPTH + 1) * usize(MAX_TABLE_DEPTH + 1) * 8;
/** The direct leaves' path polynomial: degree < 64. */
const POLY_BYTES: usize = 66 * 8;

/**
 * tp[S] = v·G(S) for every S ⊂ P (the full set is never read and is left alone), from the slots'
 * z_k (`zIsC`: the slots hold c_k = (1 − z_k)/z_k, so z_k = 1/(1 + c_k)). Depth-first over
 * include/exclude decisions per slot with one polynomial per level: O(2^d·d) time.
 */
function fillTable(tp: usize, slots: usize, d: i32, v: f64, zIsC: bool): void {
  const zs = fillPtr;
  for (let k = 0; k < d; k++) {
    const x = load<f64>(slots + (usize(k) << 4), 8);
    store<f64>(zs + (usize(k) << 3), zIsC ? 1.0 / (1.0 + x) : x);
  }
  const polys = zs + usize(MAX_TABLE_DEPTH + 1) * 8;
  store<f64>(polys, 1.0);
  visit(tp, d, v, zs, polys, 0, 0, 0, 1.0);
}

function visit(tp: usize, d: i32, v: f64, zs: usize, polys: usize, k: i32, S: u32, m: i32, zout: f64): void {
  const stride = usize(MAX_TABLE_DEPTH + 1) << 3;
  const src = polys + usize(k) * stride;
  if (k == d) {
    if (S == (u32(1) << u32(d)) - 1) return;
    const w = weightsPtr + usize(d) * 65 * 8;
    let sum: f64 = 0;
    for (let q = 0; q <= m; q++) sum += load<f64>(w + (usize(q) << 3)) * load<f64>(src + (usize(q) << 3));
    store<f64>(tp + (usize(S) << 3), v * zout * sum);
    return;
  }
  const dst = src + stride;
  const z = load<f64>(zs + (usize(k) << 3));
  // Exclude slot k: the same polynomial, z_k joins the outside product.
  memory.copy(dst, src, usize(m + 1) << 3);
  visit(tp, d, v, zs, polys, k + 1, S, m, zout * z);
  // Include slot k: multiply by (z_k + t).
  store<f64>(dst, z * load<f64>(src));
  for (let q = 1; q <= m; q++) {
    store<f64>(
      dst + (usize(q) << 3),
      z * load<f64>(src + (usize(q) << 3)) + load<f64>(src + (usize(q - 1) << 3)),
    );
  }
  store<f64>(dst + (usize(m + 1) << 3), load<f64>(src + (usize(m) << 3)));
  visit(tp, d, v, zs, polys, k + 1, S | (u32(1) << u32(k)), m + 1, zout);
}

/** Scratch bytes `shap` needs: a pattern per node of the largest tree, the polynomial, fillTable's, the block tables. */
export function fastScratchBytes(maxTreeNodes: i32, blockTableBytes: usize): usize {
  return (usize(maxTreeNodes) << 3) + POLY_BYTES + FILL_BYTES + blockTableBytes;
}

/** Fills every table leaf's table (after setFast, with its scratch). */
export function buildTables(scratch: usize): void {
  layScratch(scratch);
  for (let t = 0; t < numTrees; t++) {
    const info = treeInfoPtr + usize(t) * TREE_INFO_BYTES;
    let rec = leafInfoPtr + usize(load<i32>(info, 8));
    const count = load<i32>(info, 12);
    for (let j = 0; j < count; j++) {
      const d = load<i32>(rec, 4);
      const slots = rec + LEAF_HEADER_BYTES;
      fillTable(tablesPtr + usize(load<i32>(rec)), slots, d, load<f64>(slots + (usize(d) << 4)), true);
      rec = slots + (usize(d) << 4) + 8;
    }
  }
}

function layScratch(scratch: usize): void {
  polyPtr = scratch + patternBytes;
  fillPtr = polyPtr + POLY_BYTES;
  blockPtr = fillPtr + FILL_BYTES;
}

/**
 * SHAP values for `nRows` rows: per row, per output, numFeatures values then the bias.
 * Trees outer, rows inner (blocks of BLOCK rows). Normalises `rows` in place (normaliseRows).
 */
export function shap(rows: usize, nRows: i32, out: usize, scratch: usize): void {
  const rowBytes = usize(numFeatures) << 3;
  const width = usize(numFeatures + 1);
  const total = usize(nRows) * usize(numOutputs) * width;
  memory.fill(out, 0, total << 3);
  const pat = scratch;
  layScratch(scratch);
  const poly = polyPtr;
  normaliseRows(rows, usize(nRows) * usize(numFeatures));
  for (let r = 0; r < nRows; r++) {
    const o = out + ((usize(r) * usize(numOutputs) * width) << 3);
    for (let k = 0; k < numOutputs; k++) {
      store<f64>(o + ((usize(k) * width + usize(numFeatures)) << 3), load<f64>(biasPtr + (usize(k) << 3)));
    }
  }
  for (let r0 = 0; r0 < nRows; r0 += BLOCK) {
    const r1 = min(nRows, r0 + BLOCK);
    for (let t = 0; t < numTrees; t++) {
      const output = load<i32>(trees + (usize(t) << 3), 4);
      const info = treeInfoPtr + usize(t) * TREE_INFO_BYTES;
      const firstInternal = usize(load<i32>(info));
      const internalCount = load<i32>(info, 4);
      const leaves = leafInfoPtr + usize(load<i32>(info, 8));
      const tableCount = load<i32>(info, 12);
      const directCount = load<i32>(info, 16);
      const direct = skipLeaves(leaves, tableCount);
      const blockRows = r1 - r0;
      if (directCount > 0) fillBlockTables(direct, directCount, blockRows);
      for (let r = r0; r < r1; r++) {
        const row = rows + usize(r) * rowBytes;
        const o = out + ((usize(r) * usize(numOutputs) * width + usize(output) * width) << 3);
        treePatterns(row, firstInternal, internalCount, pat);
        tableLeaves(o, leaves, tableCount, pat);
        if (directCount > 0) directLeaves(o, direct, directCount, pat, poly, blockRows);
      }
    }
  }
}
