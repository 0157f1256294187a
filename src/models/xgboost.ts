import { buildEnsemble, type RawTree } from "./builder.js";
import { DecisionFlag, MissingType, type TreeEnsemble } from "./ensemble.js";
import { LIMITS, ModelFormatError } from "./errors.js";

/**
 * XGBoost JSON model (`save_model("m.json")`, versions 1.x–3.x), `gbtree` or
 * `dart` booster. XGBoost compares in float32: left iff `fround(x) < cond`,
 * missing (NaN) goes to the default child; a categorical node sends the
 * categories in its set to the right (the builder swaps the children so the
 * set goes left, as in LightGBM). Covers are the hessian sums.
 */
export function parseXgboost(text: string): TreeEnsemble {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ModelFormatError("syntax", `XGBoost model is not valid JSON (UBJSON is not supported): ${why}`);
  }
  const learner = obj(obj(doc, "model").learner, "learner");
  const param = obj(learner.learner_model_param, "learner.learner_model_param");
  const numFeature = int(param.num_feature, "learner_model_param.num_feature");
  if (numFeature < 1 || numFeature > LIMITS.maxFeatures) {
    throw new ModelFormatError("invalid", `num_feature=${numFeature} is out of range`);
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

  let booster = obj(learner.gradient_booster, "learner.gradient_booster");
  const boosterName = str(booster.name, "gradient_booster.name");
  let weights: number[] | undefined;
  if (boosterName === "dart") {
    const w = booster.weight_drop;
    if (!Array.isArray(w))
      throw new ModelFormatError("unsupported", "dart model without weight_drop is not supported");
    weights = w.map((x, k) => num(x, `weight_drop[${k}]`));
    booster = obj(booster.gbtree, "gradient_booster.gbtree");
  } else if (boosterName === "gblinear") {
    throw new ModelFormatError("unsupported", "gblinear (linear booster) models are not supported");
  } else if (boosterName !== "gbtree") {
    throw new ModelFormatError("unsupported", `booster "${boosterName}" is not supported`);
  }
  const model = obj(booster.model, "gbtree.model");
  const treesJson = arr(model.trees, "gbtree.model.trees");
  const treeInfo = arr(model.tree_info, "gbtree.model.tree_info");
  if (treeInfo.length !== treesJson.length) {
    throw new ModelFormatError(
      "invalid",
      `tree_info has ${treeInfo.length} entries for ${treesJson.length} trees`,
    );
  }
  if (weights !== undefined && weights.length !== treesJson.length) {
    throw new ModelFormatError(
      "unsupported",
      `dart weight_drop has ${weights.length} weights for ${treesJson.length} trees`,
    );
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

function readTree(
  t: Record<string, unknown>,
  index: number,
  output: number,
  numFeature: number,
  weight: number,
  catBoundaries: number[],
  catBits: number[],
): RawTree {
  const where = `tree ${index}`;
  const tp = t.tree_param === undefined ? {} : obj(t.tree_param, `${where}.tree_param`);
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

  const raw = {
    left: new Int32Array(n),
    right: new Int32Array(n),
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    decision: new Uint8Array(n),
    value: new Float64Array(n),
    cover: new Float64Array(n),
    gain: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    raw.cover[i] = hess[i]!;
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
    raw.gain[i] = loss[i]!;
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

const MAX_CATEGORY = 1 << 24;

function addBitset(cats: number[], where: string, catBoundaries: number[], catBits: number[]): number {
  let max = 0;
  for (const c of cats) {
    if (!Number.isInteger(c) || c < 0 || c >= MAX_CATEGORY)
      throw new ModelFormatError("invalid", `${where}: bad category ${c}`);
    if (c > max) max = c;
  }
  const words = (max >> 5) + 1;
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

function numArr(v: unknown, what: string, length?: number): number[] {
  const a = arr(v, what);
  if (length !== undefined && a.length !== length) {
    throw new ModelFormatError(
      "invalid",
      `XGBoost model: ${what} has ${a.length} entries, expected ${length}`,
    );
  }
  return a.map((x, k) => num(x, `${what}[${k}]`));
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
