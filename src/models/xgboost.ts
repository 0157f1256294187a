import { buildEnsemble, rawNodeArrays, type RawTree } from "./builder.js";
import { DecisionFlag, MissingType, type TreeEnsemble } from "./ensemble.js";
import { LIMITS, ModelFormatError } from "./errors.js";
import { parseXgboostJson } from "./xgboost-json.js";

/**
 * XGBoost JSON model (`save_model("m.json")`, versions 1.x–3.x), `gbtree`
 * booster, with or without DART tree weights. XGBoost compares in float32:
 * left iff `fround(x) < cond`, missing (NaN) goes to the default child; a
 * categorical node sends the categories in its set to the right (the builder
 * swaps the children so the set goes left, as in LightGBM). Covers are the
 * hessian sums.
 */
export function parseXgboost(text: string): TreeEnsemble {
  return readXgboostDocument(parseXgboostJson(text));
}

/**
 * The model document as decoded from JSON or UBJSON (where float arrays are
 * Float32Arrays). Every float XGBoost keeps in float32 is rounded to float32
 * here, so the JSON text (shortest decimal) and the UBJSON bytes of one
 * model give bit-identical ensembles.
 */
export function readXgboostDocument(doc: unknown): TreeEnsemble {
  const root = obj(doc, "model");
  const writer = writtenBy(root.version);
  const learner = obj(root.learner, "learner");
  checkKeys(learner, LEARNER_KEYS, "learner", writer);
  const param = obj(learner.learner_model_param, "learner.learner_model_param");
  checkKeys(param, LEARNER_PARAM_KEYS, "learner.learner_model_param", writer);
  const numFeature = int(param.num_feature, "learner_model_param.num_feature");
  if (numFeature < 1 || numFeature > LIMITS.maxFeatures) {
    throw new ModelFormatError(
      "invalid",
      `num_feature=${numFeature} is out of range [1, LIMITS.maxFeatures = ${LIMITS.maxFeatures}]`,
    );
  }
  const numClass = param.num_class === undefined ? 0 : int(param.num_class, "learner_model_param.num_class");
  const numTarget =
    param.num_target === undefined ? 1 : int(param.num_target, "learner_model_param.num_target");
  if (numTarget > 1 && numClass > 1)
    throw new ModelFormatError("unsupported", "multi-target multiclass models are not supported");
  const numOutputs = Math.max(numClass, numTarget, 1);
  if (numOutputs > LIMITS.maxOutputs)
    throw new ModelFormatError("invalid", `num_class=${numClass} is out of range`);
  const objective =
    learner.objective === undefined
      ? "reg:squarederror"
      : str(obj(learner.objective, "objective").name, "objective.name");

  const { model, weightDrop } = treeBooster(
    obj(learner.gradient_booster, "learner.gradient_booster"),
    writer,
  );
  const treesJson = arr(model.trees, "gbtree.model.trees");
  const treeInfo = numList(model.tree_info, "gbtree.model.tree_info");
  if (treeInfo.length !== treesJson.length) {
    throw new ModelFormatError(
      "invalid",
      `tree_info has ${treeInfo.length} entries for ${treesJson.length} trees`,
    );
  }
  if (model.gbtree_model_param !== undefined) {
    const mp = obj(model.gbtree_model_param, "gbtree.model.gbtree_model_param");
    checkKeys(mp, MODEL_PARAM_KEYS, "gradient_booster.model.gbtree_model_param", writer);
    const declared =
      mp.num_trees === undefined ? undefined : int(mp.num_trees, "gbtree_model_param.num_trees");
    if (declared !== undefined && declared !== treesJson.length)
      throw new ModelFormatError(
        "invalid",
        `gbtree_model_param.num_trees=${declared} for ${treesJson.length} trees`,
      );
  }
  // Tree weights (DART): XGBoost multiplies each tree's output by its weight. An
  // empty list means none (XGBoost ≥ 3.4 reads it so); a shorter list than the
  // trees would make XGBoost read past its end.
  let weights: number[] | undefined;
  if (weightDrop !== undefined && weightDrop.value.length > 0) {
    weights = numArr(weightDrop.value, weightDrop.where).map((w) => Math.fround(w));
    if (weights.length !== treesJson.length) {
      throw new ModelFormatError(
        "invalid",
        `${weightDrop.where} has ${weights.length} tree weights for ${treesJson.length} trees`,
      );
    }
  }
  if (treesJson.length > LIMITS.maxTrees)
    throw new ModelFormatError("too_large", `too many trees: ${treesJson.length}`);

  const catBoundaries: number[] = [0];
  const catBits: number[] = [];
  const trees: RawTree[] = treesJson.map((t, k) =>
    readTree(
      obj(t, `trees[${k}]`),
      k,
      int(treeInfo[k], `tree_info[${k}]`),
      numFeature,
      weights?.[k] ?? 1,
      catBoundaries,
      catBits,
      writer,
    ),
  );

  const names = Array.isArray(learner.feature_names)
    ? learner.feature_names.map((n, k) => str(n, `feature_names[${k}]`))
    : [];
  const featureNames = names.length === 0 ? Array.from({ length: numFeature }, (_, k) => `f${k}`) : names;
  if (featureNames.length !== numFeature) {
    throw new ModelFormatError(
      "invalid",
      `feature_names has ${featureNames.length} names for num_feature=${numFeature}`,
    );
  }

  return buildEnsemble(
    {
      format: "xgboost",
      featureNames,
      numFeatures: numFeature,
      numOutputs,
      objective,
      baseScore: baseMargin(param.base_score, numOutputs, objective),
      catBoundaries: Int32Array.from(catBoundaries),
      catBits: Uint32Array.from(catBits),
    },
    trees,
  );
}

interface WeightDrop {
  readonly value: unknown[] | ArrayLike<number>;
  readonly where: string;
}

/**
 * The tree model and its DART weights, wherever the writing version put them:
 * `{name: "dart", gbtree: {name: "gbtree", model}, weight_drop}` (1.x–3.2),
 * `{name: "gbtree", model, weight_drop}` (3.3) and
 * `{name: "gbtree", model: {…, weight_drop}}` (3.4+, where `booster: dart` is
 * deprecated and dropout trains a gbtree). Two placements in one file are
 * refused: XGBoost would silently let one override the other.
 */
function treeBooster(
  gb: Record<string, unknown>,
  writer: string,
): { model: Record<string, unknown>; weightDrop: WeightDrop | undefined } {
  const name = str(gb.name, "gradient_booster.name");
  let booster = gb;
  let where = "gradient_booster";
  if (name === "dart") {
    checkKeys(gb, DART_KEYS, "gradient_booster (dart)", writer);
    if (gb.weight_drop === undefined)
      throw new ModelFormatError("unsupported", "dart model without weight_drop is not supported");
    booster = obj(gb.gbtree, "gradient_booster.gbtree");
    where = "gradient_booster.gbtree";
    const inner = str(booster.name, "gradient_booster.gbtree.name");
    if (inner !== "gbtree")
      throw new ModelFormatError("unsupported", `dart over booster "${inner}" is not supported`);
    checkKeys(booster, DART_GBTREE_KEYS, where, writer);
  } else if (name === "gblinear") {
    throw new ModelFormatError("unsupported", "gblinear (linear booster) models are not supported");
  } else if (name !== "gbtree") {
    throw new ModelFormatError("unsupported", `booster "${name}" is not supported`);
  } else checkKeys(gb, GBTREE_KEYS, where, writer);
  const model = obj(booster.model, `${where}.model`);
  checkKeys(model, MODEL_KEYS, `${where}.model`, writer);

  const found: WeightDrop[] = [];
  for (const [holder, path] of [
    [gb, "gradient_booster.weight_drop"],
    [model, `${where}.model.weight_drop`],
  ] as const) {
    if (holder.weight_drop !== undefined)
      found.push({ value: numList(holder.weight_drop, path), where: path });
  }
  if (found.length > 1)
    throw new ModelFormatError(
      "invalid",
      `tree weights are given twice (${found.map((f) => f.where).join(" and ")})`,
    );
  return { model, weightDrop: found[0] };
}

/**
 * The keys read or known not to change a prediction, per object, as XGBoost
 * 1.7, 2.1, 3.0, 3.3 and 3.4 write them (checked on files each wrote; 1.0–1.6
 * write the same keys, `gbtree_model_param` declaring only `num_trees`,
 * `size_leaf_vector` and, from 1.6, `num_parallel_tree`). Any other key is refused rather than
 * ignored: it may be a new way to change the trees' output (as `weight_drop`
 * moved into the gbtree model in 3.4 and was ignored by readers that did not
 * know it).
 */
const LEARNER_KEYS = new Set([
  "attributes", // training attributes (best_iteration…): Booster.predict uses every tree
  "feature_names",
  "feature_types", // categorical splits are marked on the nodes themselves
  "gradient_booster",
  "learner_model_param",
  "objective", // the link only: outputs are margins
]);
const LEARNER_PARAM_KEYS = new Set([
  "base_score",
  "boost_from_average", // training only (estimates base_score, which is stored)
  "num_class",
  "num_feature",
  "num_target",
]);
const DART_KEYS = new Set(["name", "gbtree", "weight_drop"]);
const GBTREE_KEYS = new Set(["name", "model", "weight_drop"]);
/** The gbtree inside a dart booster: XGBoost reads the weights beside it, never in it. */
const DART_GBTREE_KEYS = new Set(["name", "model"]);
const MODEL_KEYS = new Set([
  "gbtree_model_param",
  "trees",
  "tree_info",
  "iteration_indptr", // trees per boosting round; every tree is used
  "cats", // category names for re-coding data frames; MAIE takes category codes, as XGBoost does from arrays
  "weight_drop",
]);
const MODEL_PARAM_KEYS = new Set([
  "num_trees",
  "num_parallel_tree", // trees per round and output; the trees are all listed
  "size_leaf_vector", // 1.x; vector leaves are refused per tree
]);
const TREE_KEYS = new Set([
  "tree_param",
  "id",
  "left_children",
  "right_children",
  "parents",
  "split_indices",
  "split_conditions",
  "split_type",
  "default_left",
  "sum_hessian",
  "loss_changes",
  "base_weights", // node weights before the learning rate; leaves are read from split_conditions
  "categories",
  "categories_nodes",
  "categories_segments",
  "categories_sizes",
  "leaf_weights", // vector leaves, refused by size_leaf_vector
]);
const TREE_PARAM_KEYS = new Set(["num_nodes", "num_feature", "num_deleted", "size_leaf_vector"]);

function checkKeys(
  o: Record<string, unknown>,
  known: ReadonlySet<string>,
  where: string,
  writer: string,
): void {
  for (const key of Object.keys(o)) {
    if (!known.has(key)) {
      throw new ModelFormatError(
        "unsupported",
        `XGBoost model: ${where} has the key "${key.slice(0, 80)}", which MAIE does not read and which ` +
          `could change predictions (file written by ${writer}); refusing rather than ignoring it`,
      );
    }
  }
}

/** "XGBoost 3.4.1" from the document's `version: [3, 4, 1]`. */
function writtenBy(version: unknown): string {
  if (
    (Array.isArray(version) || ArrayBuffer.isView(version)) &&
    (version as ArrayLike<unknown>).length === 3 &&
    Array.from(version as ArrayLike<unknown>).every((v) => Number.isSafeInteger(v))
  )
    return `XGBoost ${Array.from(version as ArrayLike<number>).join(".")}`;
  return "an XGBoost version that does not say which";
}

function readTree(
  t: Record<string, unknown>,
  index: number,
  output: number,
  numFeature: number,
  weight: number,
  catBoundaries: number[],
  catBits: number[],
  writer: string,
): RawTree {
  const where = `tree ${index}`;
  checkKeys(t, TREE_KEYS, where, writer);
  const tp = t.tree_param === undefined ? {} : obj(t.tree_param, `${where}.tree_param`);
  checkKeys(tp, TREE_PARAM_KEYS, `${where}.tree_param`, writer);
  if (tp.size_leaf_vector !== undefined && int(tp.size_leaf_vector, `${where}.size_leaf_vector`) > 1) {
    throw new ModelFormatError(
      "unsupported",
      `${where}: vector leaves (multi_strategy=multi_output_tree) are not supported`,
    );
  }
  const left = numArr(t.left_children, `${where}.left_children`);
  const n = left.length;
  if (n === 0) throw new ModelFormatError("invalid", `${where}: no nodes`);
  if (n > LIMITS.maxNodes) throw new ModelFormatError("too_large", `${where}: too many nodes`);
  // XGBoost sizes the tree from num_nodes and refuses arrays of another length.
  const declared = tp.num_nodes === undefined ? undefined : int(tp.num_nodes, `${where}.num_nodes`);
  if (declared !== undefined && declared !== n)
    throw new ModelFormatError("invalid", `${where}: num_nodes=${declared} for ${n} nodes`);
  const right = numArr(t.right_children, `${where}.right_children`, n);
  const splitIndex = numArr(t.split_indices, `${where}.split_indices`, n);
  const cond = numArr(t.split_conditions, `${where}.split_conditions`, n);
  const defaultLeft = numArr(t.default_left, `${where}.default_left`, n);
  const hess = numArr(t.sum_hessian, `${where}.sum_hessian`, n);
  const loss =
    t.loss_changes === undefined
      ? new Array<number>(n).fill(0)
      : numArr(t.loss_changes, `${where}.loss_changes`, n);
  const splitType =
    t.split_type === undefined
      ? new Array<number>(n).fill(0)
      : numArr(t.split_type, `${where}.split_type`, n);

  const catOf = new Map<number, number[]>();
  if (t.categories_nodes !== undefined) {
    const nodes = numArr(t.categories_nodes, `${where}.categories_nodes`);
    const segs = numArr(t.categories_segments, `${where}.categories_segments`, nodes.length);
    const sizes = numArr(t.categories_sizes, `${where}.categories_sizes`, nodes.length);
    const cats = numArr(t.categories, `${where}.categories`);
    nodes.forEach((node, k) => {
      const s = segs[k]!;
      const e = s + sizes[k]!;
      if (!(s >= 0 && e <= cats.length && e >= s))
        throw new ModelFormatError("invalid", `${where}: categories segment out of range`);
      catOf.set(node, cats.slice(s, e));
    });
  }

  const raw = rawNodeArrays(n);
  for (let i = 0; i < n; i++) {
    raw.cover[i] = Math.fround(hess[i]!);
    if (left[i] === -1) {
      raw.left[i] = -1;
      raw.right[i] = -1;
      raw.feature[i] = -1;
      raw.value[i] = Math.fround(cond[i]!) * weight;
      continue;
    }
    const f = splitIndex[i]!;
    if (!Number.isInteger(f) || f < 0 || f >= numFeature) {
      throw new ModelFormatError("invalid", `${where}: split feature ${f} outside [0, ${numFeature})`);
    }
    raw.feature[i] = f;
    raw.gain[i] = Math.fround(loss[i]!);
    let dl = defaultLeft[i] !== 0;
    let l = left[i]!;
    let r = right[i]!;
    if (splitType[i] === 1) {
      const cats = catOf.get(i);
      if (cats === undefined)
        throw new ModelFormatError("invalid", `${where}: categorical node ${i} has no categories`);
      raw.threshold[i] = addBitset(cats, where, catBoundaries, catBits);
      // XGBoost sends the set right; swap so the set goes left.
      [l, r] = [r, l];
      dl = !dl;
      raw.decision[i] = DecisionFlag.CATEGORICAL | DecisionFlag.FLOAT32_LESS;
    } else {
      raw.threshold[i] = Math.fround(cond[i]!);
      raw.decision[i] = DecisionFlag.FLOAT32_LESS;
    }
    raw.decision[i]! |=
      (MissingType.NaN << DecisionFlag.MISSING_SHIFT) | (dl ? DecisionFlag.DEFAULT_LEFT : 0);
    raw.left[i] = l;
    raw.right[i] = r;
  }
  return { output, root: 0, ...raw };
}

function addBitset(cats: number[], where: string, catBoundaries: number[], catBits: number[]): number {
  let max = 0;
  for (const c of cats) {
    if (!Number.isInteger(c) || c < 0 || c >= LIMITS.maxCategory)
      throw new ModelFormatError(
        "invalid",
        `${where}: bad category ${c} (categories are integers in [0, LIMITS.maxCategory = ${LIMITS.maxCategory}))`,
      );
    if (c > max) max = c;
  }
  const words = (max >> 5) + 1;
  if (catBits.length + words > LIMITS.maxCategoricalWords)
    throw new ModelFormatError(
      "too_large",
      `${where}: categorical bitsets need more than LIMITS.maxCategoricalWords (${LIMITS.maxCategoricalWords}) words`,
    );
  const base = catBits.length;
  for (let w = 0; w < words; w++) catBits.push(0);
  for (const c of cats) catBits[base + (c >> 5)]! |= 1 << (c & 31);
  for (let w = base; w < base + words; w++) catBits[w] = catBits[w]! >>> 0;
  catBoundaries.push(catBits.length);
  return catBoundaries.length - 2;
}

/** base_score is stored in output space ("5E-1" or "[5E-1]" or "[a,b,c]"); the margin applies the objective's link. */
function baseMargin(raw: unknown, numOutputs: number, objective: string): Float64Array {
  let values: number[];
  if (raw === undefined) values = [0.5];
  else if (typeof raw === "number") values = [raw];
  else if (typeof raw === "string") {
    const s = raw.trim();
    const body = s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s;
    values = body.split(",").map((x) => {
      const v = Number(x.trim());
      if (x.trim() === "" || Number.isNaN(v))
        throw new ModelFormatError("syntax", `base_score "${raw}" is not a number`);
      return v;
    });
  } else throw new ModelFormatError("syntax", "base_score is neither a string nor a number");
  if (values.length !== 1 && values.length !== numOutputs) {
    throw new ModelFormatError("invalid", `base_score has ${values.length} values for ${numOutputs} outputs`);
  }
  const out = new Float64Array(numOutputs);
  for (let k = 0; k < numOutputs; k++)
    out[k] = link(Math.fround(values[values.length === 1 ? 0 : k]!), objective);
  return out;
}

function link(p: number, objective: string): number {
  switch (objective) {
    case "binary:logistic":
    case "binary:logitraw":
    case "reg:logistic":
      return Math.fround(-Math.log(1 / p - 1));
    case "count:poisson":
    case "reg:gamma":
    case "reg:tweedie":
    case "survival:cox":
    case "survival:aft":
      return Math.fround(Math.log(p));
    default:
      return p;
  }
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ModelFormatError(
      v === undefined ? "truncated" : "invalid",
      `XGBoost model: ${what} is missing or not an object`,
    );
  }
  return v as Record<string, unknown>;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v))
    throw new ModelFormatError(
      v === undefined ? "truncated" : "invalid",
      `XGBoost model: ${what} is missing or not an array`,
    );
  return v;
}

/** A JSON array, or the typed array UBJSON decodes a typed container to. */
function numList(v: unknown, what: string): unknown[] | ArrayLike<number> {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<number>;
  return arr(v, what);
}

function numArr(v: unknown, what: string, length?: number): number[] {
  const a = numList(v, what);
  if (length !== undefined && a.length !== length) {
    throw new ModelFormatError(
      "invalid",
      `XGBoost model: ${what} has ${a.length} entries, expected ${length}`,
    );
  }
  return Array.from(a as ArrayLike<unknown>, (x, k) => num(x, `${what}[${k}]`));
}

function num(v: unknown, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  throw new ModelFormatError("invalid", `XGBoost model: ${what} is not a number`);
}

function int(v: unknown, what: string): number {
  const n = num(v, what);
  if (!Number.isSafeInteger(n))
    throw new ModelFormatError("invalid", `XGBoost model: ${what}=${n} is not an integer`);
  return n;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new ModelFormatError("invalid", `XGBoost model: ${what} is not a string`);
  return v;
}
