import { readFile } from "node:fs/promises";
import { maxDepth, type TreeEnsemble } from "../models/ensemble.js";
import { precompute, type PrecomputeOptions } from "./precompute.js";

/** The slice of the WebAssembly JS API used here (the project's lib has no DOM/WebAssembly typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ readonly exports: object }>;
}
const wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

/** The core's exports (src/treeshap/assembly/index.ts documents the memory layout). */
interface CoreExports {
  readonly memory: WasmMemory;
  heapBase(): Ptr;
  setModel(
    nodes: Ptr,
    trees: Ptr,
    numTrees: number,
    catBounds: Ptr,
    catBits: Ptr,
    numFeatures: number,
    numOutputs: number,
    bias: Ptr,
    base: Ptr,
  ): void;
  setFast(
    internal: Ptr,
    treeInfo: Ptr,
    leafInfo: Ptr,
    tables: Ptr,
    maxTreeNodes: number,
    weights: Ptr,
    rowRule: number,
  ): void;
  fastScratchBytes(maxTreeNodes: number, blockTableBytes: number): number;
  buildTables(scratch: Ptr): void;
  predict(rows: Ptr, nRows: number, out: Ptr): void;
  shap(rows: Ptr, nRows: number, out: Ptr, scratch: Ptr): void;
  shapClassic(rows: Ptr, nRows: number, out: Ptr, scratch: Ptr): void;
}

export interface ExplainerOptions extends PrecomputeOptions {
  /**
   * "fast" (default when every path has < 64 unique features): per-leaf
   * precomputed tables, O(T·L·D) per row; "classic": Lundberg's O(T·L·D²)
   * recursion, no tables. Both give the same values to rounding.
   */
  readonly algorithm?: "auto" | "fast" | "classic";
}

/** A byte offset into the core's linear memory. */
type Ptr = number;

const NODE_BYTES = 32;
/**
 * Features the memory layout can address: a node stores
 * `(feature << 8) | decision flags` in one i32 (src/treeshap/assembly/index.ts),
 * so a feature index must stay below 2^23. Models with more are refused
 * before anything is allocated (the model parsers' `LIMITS.maxFeatures` is lower).
 */
export const MAX_LAYOUT_FEATURES = 1 << 23;
const PATH_BYTES = 32;
const PAGE = 65536;
/** Rows per core call: bounds the I/O region for huge batches. */
const CHUNK_BYTES = 8 << 20;

let modulePromise: Promise<WasmModule> | undefined;

/** The compiled core, found at dist/wasm/treeshap.wasm next to dist/src. */
export function coreModule(): Promise<WasmModule> {
  modulePromise ??= readFile(new URL("../../wasm/treeshap.wasm", import.meta.url)).then((bytes) =>
    wasm.compile(bytes),
  );
  return modulePromise;
}

/** Shapley weights w_d(q) = q!(d−q−1)!/d! for d < 64, as [64][65] f64 (q = d is 0). */
const WEIGHTS_BYTES = 64 * 65 * 8;
function shapleyWeights(): Float64Array {
  const fact = [1];
  for (let k = 1; k <= 64; k++) fact[k] = fact[k - 1]! * k;
  const w = new Float64Array(64 * 65);
  for (let d = 1; d < 64; d++)
    for (let q = 0; q < d; q++) w[d * 65 + q] = (fact[q]! * fact[d - q - 1]!) / fact[d]!;
  return w;
}

const align = (n: number): number => (n + 15) & ~15;

/**
 * Predictions and exact path-dependent TreeSHAP values for one model, backed
 * by its own WebAssembly instance. Reusable across requests; not re-entrant
 * (calls are synchronous, so one Node thread never overlaps them).
 */
export class Explainer {
  readonly featureNames: readonly string[];
  readonly numFeatures: number;
  readonly numOutputs: number;
  /** SHAP bias per output: E[f(x)] under the trees' covers, in margin space. */
  readonly expectedValue: Float64Array;

  #core: CoreExports | undefined;
  /** The algorithm in use, and how many leaves got a precomputed table. */
  readonly algorithm: "fast" | "classic";
  readonly tableLeaves: number;
  readonly #scratch: Ptr;
  readonly #io: Ptr;

  private constructor(model: TreeEnsemble, core: CoreExports, options: ExplainerOptions) {
    this.featureNames = model.featureNames;
    this.numFeatures = model.numFeatures;
    this.numOutputs = model.numOutputs;
    this.#core = core;

    const nodes = align(core.heapBase());
    const trees = align(nodes + model.numNodes * NODE_BYTES);
    const catBounds = align(trees + model.numTrees * 8);
    const catBits = align(catBounds + model.catBoundaries.length * 4);
    const bias = align(catBits + model.catBits.length * 4);
    const base = align(bias + model.numOutputs * 8);
    const zf = zeroFractions(model);
    const depth = maxDepth(model);
    const fast = options.algorithm === "classic" ? undefined : precompute(model, zf, options);
    if (options.algorithm === "fast" && fast !== undefined && fast.maxUniqueDepth > 63) {
      throw new RangeError(
        `algorithm "fast" needs < 64 unique features per path, this model has ${fast.maxUniqueDepth}`,
      );
    }
    const fastFits = fast !== undefined && fast.maxUniqueDepth <= 63;
    this.algorithm = fastFits ? "fast" : "classic";
    this.tableLeaves = fastFits ? fast.tableLeaves : 0;
    const internal = align(base + model.numOutputs * 8);
    const treeInfo = align(internal + (fast?.internal.byteLength ?? 0));
    const leafInfo = align(treeInfo + (fast?.treeInfo.byteLength ?? 0));
    const tables = align(leafInfo + (fast?.leafInfo.byteLength ?? 0));
    const weights = align(tables + (fast?.tableBytes ?? 0));
    this.#scratch = align(weights + (fast ? WEIGHTS_BYTES : 0));
    const classicScratch = (PATH_BYTES * (depth + 2) * (depth + 3)) / 2;
    const fastScratch = fast ? core.fastScratchBytes(fast.maxTreeNodes, fast.blockTableBytes) : 0;
    this.#io = align(this.#scratch + Math.max(classicScratch, fastScratch));
    this.#reserve(core, this.#io);

    const buf = core.memory.buffer;
    const f64 = new Float64Array(buf, nodes, model.numNodes * 4);
    const i32 = new Int32Array(buf, nodes, model.numNodes * 8);
    for (let i = 0; i < model.numNodes; i++) {
      f64[i * 4] = model.threshold[i]!;
      f64[i * 4 + 1] = model.left[i]! < 0 ? model.value[i]! : 0;
      f64[i * 4 + 2] = zf[i]!;
      i32[i * 8 + 6] = model.left[i]! < 0 ? -1 : model.right[i]!;
      i32[i * 8 + 7] = (Math.max(model.feature[i]!, 0) << 8) | model.decision[i]!;
    }
    const t32 = new Int32Array(buf, trees, model.numTrees * 2);
    for (let t = 0; t < model.numTrees; t++) {
      t32[t * 2] = model.treeStart[t]!;
      t32[t * 2 + 1] = model.treeOutput[t]!;
    }
    new Int32Array(buf, catBounds, model.catBoundaries.length).set(model.catBoundaries);
    new Uint32Array(buf, catBits, model.catBits.length).set(model.catBits);
    this.expectedValue = expectedValues(model, zf);
    new Float64Array(buf, bias, model.numOutputs).set(this.expectedValue);
    new Float64Array(buf, base, model.numOutputs).set(model.baseScore);
    core.setModel(
      nodes,
      trees,
      model.numTrees,
      catBounds,
      catBits,
      model.numFeatures,
      model.numOutputs,
      bias,
      base,
    );
    if (fast !== undefined && this.algorithm === "fast") {
      new Uint8Array(buf, internal, fast.internal.byteLength).set(new Uint8Array(fast.internal));
      new Int32Array(buf, treeInfo, fast.treeInfo.length).set(fast.treeInfo);
      new Uint8Array(buf, leafInfo, fast.leafInfo.byteLength).set(new Uint8Array(fast.leafInfo));
      new Float64Array(buf, weights, WEIGHTS_BYTES / 8).set(shapleyWeights());
      core.setFast(internal, treeInfo, leafInfo, tables, fast.maxTreeNodes, weights, fast.rowRule);
      core.buildTables(this.#scratch);
    }
  }

  static async load(model: TreeEnsemble, options: ExplainerOptions = {}): Promise<Explainer> {
    if (model.numFeatures > MAX_LAYOUT_FEATURES)
      throw new RangeError(
        `model has ${model.numFeatures} features, more than the TreeSHAP layout's MAX_LAYOUT_FEATURES (${MAX_LAYOUT_FEATURES})`,
      );
    const instance = await wasm.instantiate(await coreModule(), {
      env: {
        abort: (): never => {
          throw new Error("treeshap core aborted");
        },
      },
    });
    return new Explainer(model, instance.exports as unknown as CoreExports, options);
  }

  /** Raw margin per row and output: `nRows × numOutputs`. */
  predict(rows: Float64Array, nRows: number): Float64Array {
    return this.#batch(rows, nRows, this.numOutputs, (core, r, n, out) => core.predict(r, n, out));
  }

  /** SHAP values: `nRows × numOutputs × (numFeatures + 1)`, bias last, in margin space. */
  shap(rows: Float64Array, nRows: number): Float64Array {
    const classic = this.algorithm === "classic";
    return this.#batch(rows, nRows, this.numOutputs * (this.numFeatures + 1), (core, r, n, out) =>
      classic ? core.shapClassic(r, n, out, this.#scratch) : core.shap(r, n, out, this.#scratch),
    );
  }

  /** Releases the instance; later calls throw. */
  dispose(): void {
    this.#core = undefined;
  }

  #batch(
    rows: Float64Array,
    nRows: number,
    outWidth: number,
    call: (core: CoreExports, rows: Ptr, n: number, out: Ptr) => void,
  ): Float64Array {
    const core = this.#core;
    if (core === undefined) throw new Error("Explainer is disposed");
    const nf = this.numFeatures;
    if (!Number.isInteger(nRows) || nRows < 0 || rows.length < nRows * nf) {
      throw new RangeError(`rows holds ${rows.length} values, need ${nRows} × ${nf}`);
    }
    const result = new Float64Array(nRows * outWidth);
    const rowBytes = (nf + outWidth) * 8;
    const chunk = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
    for (let start = 0; start < nRows; start += chunk) {
      const n = Math.min(chunk, nRows - start);
      const inPtr = this.#io;
      const outPtr = align(inPtr + n * nf * 8);
      this.#reserve(core, outPtr + n * outWidth * 8);
      // Views are rebuilt after any growth (growth detaches the old buffer).
      new Float64Array(core.memory.buffer, inPtr, n * nf).set(rows.subarray(start * nf, (start + n) * nf));
      call(core, inPtr, n, outPtr);
      result.set(new Float64Array(core.memory.buffer, outPtr, n * outWidth), start * outWidth);
    }
    return result;
  }

  #reserve(core: CoreExports, bytes: number): void {
    const memory = core.memory;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    try {
      memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      throw new RangeError(`TreeSHAP core: ${bytes} bytes of linear memory needed, more than it can grow to`);
    }
  }
}

/**
 * Cover share of each node among its parent's two children (1 for roots),
 * normalised so the two shares sum to 1 exactly: this keeps local accuracy
 * (bias + Σ SHAP = prediction) even where a format's parent cover is not the
 * exact sum of its children's (XGBoost's float32 hessian sums).
 */
export function zeroFractions(model: TreeEnsemble): Float64Array {
  const zf = new Float64Array(model.numNodes);
  for (let t = 0; t < model.numTrees; t++) zf[model.treeStart[t]!] = 1;
  for (let i = 0; i < model.numNodes; i++) {
    if (model.left[i]! < 0) continue;
    const l = model.left[i]!;
    const r = model.right[i]!;
    const s = model.cover[l]! + model.cover[r]!;
    zf[l] = s > 0 ? model.cover[l]! / s : 0.5;
    zf[r] = s > 0 ? model.cover[r]! / s : 0.5;
  }
  return zf;
}

/** Per output: intercept + Σ over trees of the cover-weighted mean leaf value. */
export function expectedValues(model: TreeEnsemble, zf: Float64Array = zeroFractions(model)): Float64Array {
  const mean = new Float64Array(model.numNodes);
  // Preorder puts children after parents, so one reverse pass suffices.
  for (let i = model.numNodes - 1; i >= 0; i--) {
    const l = model.left[i]!;
    if (l < 0) mean[i] = model.value[i]!;
    else {
      const r = model.right[i]!;
      mean[i] = zf[l]! * mean[l]! + zf[r]! * mean[r]!;
    }
  }
  const out = Float64Array.from(model.baseScore);
  for (let t = 0; t < model.numTrees; t++) {
    const o = model.treeOutput[t]!;
    out[o] = out[o]! + mean[model.treeStart[t]!]!;
  }
  return out;
}
