import { buildEnsemble, rawNodeArrays, type RawTree } from "./builder.js";
import { DecisionFlag, MissingType, type TreeEnsemble } from "./ensemble.js";
import { LIMITS, ModelFormatError } from "./errors.js";

/**
 * LightGBM text model (`model.txt`, versions v2–v4): a `key=value` header,
 * one `Tree=N` block per tree, then `end of trees`. Child indexes ≥ 0 are
 * internal nodes, negative ones are leaves (`~leaf`). SHAP uses the data
 * counts (`internal_count`, `leaf_count`) as covers, as LightGBM does.
 */
export function parseLightGbm(text: string): TreeEnsemble {
  const lines = text.split(/\r?\n/);
  let i = 0;
  const header = new Map<string, string>();
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("Tree=")) break;
    if (line === "end of trees") break;
    const eq = line.indexOf("=");
    if (eq > 0) header.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const version = header.get("version");
  if (version !== undefined && !/^v[234]$/.test(version)) {
    throw new ModelFormatError(
      "unsupported",
      `LightGBM model version ${version} is not supported (v2–v4 are)`,
    );
  }
  if (header.has("average_output")) {
    throw new ModelFormatError(
      "unsupported",
      "LightGBM random-forest models (average_output) are not supported",
    );
  }
  const numClass = headerInt(header, "num_class", 1);
  const perIteration = headerInt(header, "num_tree_per_iteration", numClass);
  const maxFeatureIdx = headerInt(header, "max_feature_idx");
  if (perIteration < 1 || perIteration > LIMITS.maxOutputs) {
    throw new ModelFormatError("invalid", `num_tree_per_iteration=${perIteration} is out of range`);
  }
  const numFeatures = maxFeatureIdx + 1;
  if (numFeatures < 1 || numFeatures > LIMITS.maxFeatures) {
    throw new ModelFormatError(
      "invalid",
      `max_feature_idx=${maxFeatureIdx} is out of range [0, LIMITS.maxFeatures - 1 = ${LIMITS.maxFeatures - 1}]`,
    );
  }
  const names = header.get("feature_names");
  const featureNames = names === undefined ? defaultNames(numFeatures) : names.split(" ");
  if (featureNames.length !== numFeatures) {
    throw new ModelFormatError(
      "invalid",
      `feature_names has ${featureNames.length} names but max_feature_idx says ${numFeatures} features`,
    );
  }
  const objective = header.get("objective") ?? "custom";

  const trees: RawTree[] = [];
  const catBoundaries: number[] = [0];
  const catBits: number[] = [];
  let ended = false;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line === "end of trees") {
      ended = true;
      break;
    }
    if (!line.startsWith("Tree=")) {
      i++;
      continue;
    }
    const index = trees.length;
    const block = new Map<string, string>();
    for (i++; i < lines.length; i++) {
      const l = lines[i]!;
      if (l === "" || l.startsWith("Tree=") || l === "end of trees") break;
      const eq = l.indexOf("=");
      if (eq <= 0)
        throw new ModelFormatError("syntax", `tree ${index}: expected key=value, got "${clip(l)}"`);
      block.set(l.slice(0, eq), l.slice(eq + 1));
    }
    if (trees.length >= LIMITS.maxTrees) throw new ModelFormatError("too_large", "too many trees");
    trees.push(readTree(block, index, index % perIteration, catBoundaries, catBits));
  }
  if (!ended)
    throw new ModelFormatError(
      "truncated",
      `LightGBM model ends without "end of trees" after ${trees.length} trees`,
    );
  const sizes = header.get("tree_sizes");
  if (sizes !== undefined && sizes.trim() !== "" && sizes.trim().split(" ").length !== trees.length) {
    throw new ModelFormatError(
      "truncated",
      `tree_sizes lists ${sizes.trim().split(" ").length} trees, found ${trees.length}`,
    );
  }
  if (trees.length === 0) throw new ModelFormatError("invalid", "LightGBM model has no trees");

  return buildEnsemble(
    {
      format: "lightgbm",
      featureNames,
      numFeatures,
      numOutputs: perIteration,
      objective,
      baseScore: new Float64Array(perIteration),
      catBoundaries: Int32Array.from(catBoundaries),
      catBits: Uint32Array.from(catBits),
    },
    trees,
  );
}

function readTree(
  block: Map<string, string>,
  index: number,
  output: number,
  catBoundaries: number[],
  catBits: number[],
): RawTree {
  const where = `tree ${index}`;
  if ((block.get("is_linear") ?? "0") !== "0") {
    throw new ModelFormatError("unsupported", `${where}: linear trees (linear_tree=true) are not supported`);
  }
  const numLeaves = intField(block, "num_leaves", where);
  if (numLeaves < 1 || numLeaves > LIMITS.maxNodes) {
    throw new ModelFormatError("invalid", `${where}: num_leaves=${numLeaves} is out of range`);
  }
  const leafValue = numbers(block, "leaf_value", numLeaves, where);
  if (numLeaves === 1) {
    const count = block.has("leaf_count") ? numbers(block, "leaf_count", 1, where) : [1];
    return leafOnly(output, leafValue[0]!, count[0]!);
  }
  const ni = numLeaves - 1;
  const splitFeature = numbers(block, "split_feature", ni, where);
  const threshold = numbers(block, "threshold", ni, where);
  const decisionType = numbers(block, "decision_type", ni, where);
  const leftChild = numbers(block, "left_child", ni, where);
  const rightChild = numbers(block, "right_child", ni, where);
  const splitGain = block.has("split_gain")
    ? numbers(block, "split_gain", ni, where)
    : new Array<number>(ni).fill(0);
  const leafCount = numbers(block, "leaf_count", numLeaves, where);
  const internalCount = numbers(block, "internal_count", ni, where);

  const numCat = block.has("num_cat") ? intField(block, "num_cat", where) : 0;
  const catBase = catBoundaries.length - 1;
  if (numCat > 0) {
    const bounds = numbers(block, "cat_boundaries", numCat + 1, where);
    const words = block.get("cat_threshold");
    if (words === undefined)
      throw new ModelFormatError("invalid", `${where}: num_cat=${numCat} but no cat_threshold`);
    const bits = parseList(words, "cat_threshold", where);
    if (bounds[0] !== 0 || bounds[numCat] !== bits.length) {
      throw new ModelFormatError("invalid", `${where}: cat_boundaries do not match cat_threshold`);
    }
    const offset = catBits.length;
    for (let c = 1; c <= numCat; c++) {
      if (!(bounds[c]! >= bounds[c - 1]!))
        throw new ModelFormatError("invalid", `${where}: cat_boundaries not ascending`);
      catBoundaries.push(offset + bounds[c]!);
    }
    for (const w of bits) catBits.push(w >>> 0);
  } else if (numCat < 0) {
    throw new ModelFormatError("invalid", `${where}: num_cat=${numCat}`);
  }

  const n = ni + numLeaves;
  const raw = rawNodeArrays(n);
  // Raw numbering: internal node k → k, leaf j → ni + j.
  const child = (c: number): number => (c >= 0 ? c : ni + ~c);
  for (let k = 0; k < ni; k++) {
    const l = leftChild[k]!;
    const r = rightChild[k]!;
    if (!Number.isInteger(l) || !Number.isInteger(r)) {
      throw new ModelFormatError("invalid", `${where}: non-integer child of node ${k}`);
    }
    raw.left[k] = child(l);
    raw.right[k] = child(r);
    raw.feature[k] = splitFeature[k]!;
    const dt = decisionType[k]!;
    if (!Number.isInteger(dt) || dt < 0 || dt > 255)
      throw new ModelFormatError("invalid", `${where}: decision_type ${dt}`);
    if (dt & DecisionFlag.CATEGORICAL) {
      // v4: NaN (and any value outside the bitset) goes right.
      raw.decision[k] = DecisionFlag.CATEGORICAL | (MissingType.NaN << DecisionFlag.MISSING_SHIFT);
      const c = threshold[k]!;
      if (!Number.isInteger(c) || c < 0 || c >= numCat) {
        throw new ModelFormatError("invalid", `${where}: categorical threshold ${c} outside [0, ${numCat})`);
      }
      raw.threshold[k] = catBase + c;
    } else {
      const missing = (dt >> 2) & 3;
      if (missing === 3)
        throw new ModelFormatError("invalid", `${where}: unknown missing type in decision_type ${dt}`);
      raw.decision[k] = dt & (DecisionFlag.DEFAULT_LEFT | DecisionFlag.MISSING_MASK);
      raw.threshold[k] = threshold[k]!;
    }
    raw.cover[k] = internalCount[k]!;
    raw.gain[k] = splitGain[k]!;
  }
  for (let j = 0; j < numLeaves; j++) {
    raw.left[ni + j] = -1;
    raw.right[ni + j] = -1;
    raw.feature[ni + j] = -1;
    raw.value[ni + j] = leafValue[j]!;
    raw.cover[ni + j] = leafCount[j]!;
  }
  return { output, root: 0, ...raw };
}

function leafOnly(output: number, value: number, count: number): RawTree {
  return {
    output,
    root: 0,
    left: [-1],
    right: [-1],
    feature: [-1],
    threshold: [0],
    decision: [0],
    value: [value],
    cover: [count],
    gain: [0],
  };
}

function headerInt(header: Map<string, string>, key: string, fallback?: number): number {
  const s = header.get(key);
  if (s === undefined) {
    if (fallback !== undefined) return fallback;
    throw new ModelFormatError("invalid", `LightGBM header lacks ${key}=`);
  }
  const v = Number(s);
  if (!Number.isSafeInteger(v))
    throw new ModelFormatError("syntax", `LightGBM header ${key}=${clip(s)} is not an integer`);
  return v;
}

function intField(block: Map<string, string>, key: string, where: string): number {
  const s = block.get(key);
  if (s === undefined) throw new ModelFormatError("truncated", `${where}: missing ${key}=`);
  const v = Number(s);
  if (!Number.isSafeInteger(v))
    throw new ModelFormatError("syntax", `${where}: ${key}=${clip(s)} is not an integer`);
  return v;
}

function numbers(block: Map<string, string>, key: string, count: number, where: string): number[] {
  const s = block.get(key);
  if (s === undefined) throw new ModelFormatError("truncated", `${where}: missing ${key}=`);
  const values = parseList(s, key, where);
  if (values.length !== count) {
    throw new ModelFormatError("invalid", `${where}: ${key} has ${values.length} values, expected ${count}`);
  }
  return values;
}

function parseList(s: string, key: string, where: string): number[] {
  const parts = s.trim() === "" ? [] : s.trim().split(/\s+/);
  const out = new Array<number>(parts.length);
  for (let k = 0; k < parts.length; k++) {
    const v = parseNumber(parts[k]!);
    if (v === undefined)
      throw new ModelFormatError("syntax", `${where}: ${key} has a non-number "${clip(parts[k]!)}"`);
    out[k] = v;
  }
  return out;
}

function parseNumber(s: string): number | undefined {
  const v = Number(s);
  if (!Number.isNaN(v)) return v;
  switch (s.toLowerCase()) {
    case "inf":
    case "+inf":
      return Infinity;
    case "-inf":
      return -Infinity;
    case "nan":
    case "-nan":
      return NaN;
    default:
      return undefined;
  }
}

export function defaultNames(n: number): string[] {
  return Array.from({ length: n }, (_, k) => `Column_${k}`);
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
