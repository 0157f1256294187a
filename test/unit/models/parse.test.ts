import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { detectFormat, ModelFormatError, parseModel } from "../../../src/models/load.js";
import { modelFeatureImportance } from "../../../src/models/importance.js";
import { maxDepth } from "../../../src/models/ensemble.js";
import { FIXTURE_DIR } from "../treeshap/fixtures.js";

const text = (file: string): string => readFileSync(join(FIXTURE_DIR, file), "utf8");
const LGB = text("lgb_categorical.model.txt");
const XGB = text("xgb_multiclass.json");

/** Either a valid model or a ModelFormatError; anything else (TypeError, RangeError, hang) fails. */
function parsesOrRefuses(input: string | Uint8Array, format: "lightgbm" | "xgboost" | "auto"): void {
  try {
    const m = parseModel(input, format);
    expect(m.numTrees).toBeGreaterThan(0);
    expect(m.treeStart[m.numTrees]).toBe(m.numNodes);
  } catch (e) {
    if (!(e instanceof ModelFormatError)) throw e;
    expect(e.message.length).toBeGreaterThan(10);
  }
}

function refusal(input: string, format: "lightgbm" | "xgboost" | "auto" = "auto"): ModelFormatError {
  try {
    parseModel(input, format);
  } catch (e) {
    if (e instanceof ModelFormatError) return e;
    throw e;
  }
  throw new Error("expected a ModelFormatError");
}

describe("LightGBM text", () => {
  test("reads header facts: features, outputs, objective, categorical bitsets", () => {
    const m = parseModel(LGB, "lightgbm");
    expect(m.format).toBe("lightgbm");
    expect(m.numFeatures).toBe(6);
    expect(m.featureNames).toEqual(["Column_0", "Column_1", "Column_2", "Column_3", "Column_4", "Column_5"]);
    expect(m.objective).toBe("regression");
    expect(m.catBoundaries.length).toBeGreaterThan(1);
    expect(Array.from(m.decision).some((d) => d & 1)).toBe(true);
  });

  test("multiclass trees are assigned round-robin to classes", () => {
    const m = parseModel(text("lgb_multiclass.model.txt"), "auto");
    expect(m.numOutputs).toBe(3);
    expect(Array.from(m.treeOutput.subarray(0, 6))).toEqual([0, 1, 2, 0, 1, 2]);
  });

  test("a model of one-leaf trees parses with depth 0", () => {
    const m = parseModel(text("lgb_one_leaf.model.txt"), "auto");
    expect(maxDepth(m)).toBe(0);
    expect(m.numNodes).toBe(m.numTrees);
  });

  test("linear trees are refused as unsupported, naming linear trees", () => {
    const e = refusal(text("error_lgb_linear.model.txt"));
    expect(e.code).toBe("unsupported");
    expect(e.message).toMatch(/linear trees/);
  });

  test("a file cut before 'end of trees' is truncated", () => {
    const e = refusal(LGB.slice(0, LGB.indexOf("end of trees")));
    expect(e.code).toBe("truncated");
  });

  test("huge counts are refused without allocating them", () => {
    expect(refusal(LGB.replace(/^num_leaves=\d+$/m, "num_leaves=999999999999")).code).toBe("invalid");
    expect(refusal(LGB.replace(/^max_feature_idx=\d+$/m, "max_feature_idx=99999999999")).code).toBe(
      "invalid",
    );
    expect(refusal(LGB.replace(/^num_tree_per_iteration=\d+$/m, "num_tree_per_iteration=1e15")).code).toBe(
      "invalid",
    );
  });

  test("a child pointing outside the tree or back up is refused", () => {
    expect(refusal(LGB.replace(/^left_child=(-?\d+)/m, "left_child=4000")).message).toMatch(/tree 0/);
    expect(refusal(LGB.replace(/^left_child=(-?\d+) (-?\d+)/m, "left_child=$1 0")).message).toMatch(/tree 0/);
  });

  test("a non-number in an array names the field", () => {
    expect(refusal(LGB.replace(/^leaf_value=(\S+)/m, "leaf_value=abc")).message).toMatch(/leaf_value/);
  });

  test("split and gain importance sum over nodes, per feature name", () => {
    const m = parseModel(LGB, "lightgbm");
    const split = modelFeatureImportance(m, "split");
    const gain = modelFeatureImportance(m, "gain");
    expect(Object.keys(split)).toEqual(m.featureNames);
    const splits = Object.values(split).reduce((a, b) => a + b, 0);
    expect(splits).toBe(Array.from(m.left).filter((l) => l >= 0).length);
    expect(gain["Column_0"]).toBeGreaterThan(0);
  });
});

describe("XGBoost JSON", () => {
  test("reads multiclass tree_info, feature names and base_score", () => {
    const m = parseModel(XGB, "xgboost");
    expect(m.format).toBe("xgboost");
    expect(m.numOutputs).toBe(4);
    expect(m.featureNames[0]).toBe("x0");
    expect(m.objective).toBe("multi:softprob");
    expect(Array.from(m.treeOutput.subarray(0, 4))).toEqual([0, 1, 2, 3]);
  });

  test("base_score as a number string, an array string and a per-class array give the same margin", () => {
    const doc = JSON.parse(text("xgb_binary_array_base.json")) as {
      learner: { learner_model_param: { base_score: string } };
    };
    const margins = ["[3E-1]", "3E-1", "0.3"].map((b) => {
      doc.learner.learner_model_param.base_score = b;
      return parseModel(JSON.stringify(doc), "xgboost").baseScore[0];
    });
    expect(margins[0]).toBeCloseTo(Math.log(0.3 / 0.7), 6);
    expect(new Set(margins).size).toBe(1);
  });

  test("vector leaves and gblinear are refused as unsupported", () => {
    expect(refusal(text("error_xgb_vector_leaf.json")).message).toMatch(/vector leaves/);
    expect(refusal(text("error_xgb_gblinear.json")).message).toMatch(/gblinear/);
  });

  test("dart without weight_drop is refused", () => {
    const doc = JSON.parse(text("xgb_dart.json")) as {
      learner: { gradient_booster: Record<string, unknown> };
    };
    delete doc.learner.gradient_booster.weight_drop;
    expect(refusal(JSON.stringify(doc)).message).toMatch(/dart/);
  });

  test("huge or inconsistent counts are refused", () => {
    expect(refusal(XGB.replace(/("learner_model_param":\{[^}]*"num_feature":")6"/, '$11e12"')).code).toBe(
      "invalid",
    );
    expect(refusal(XGB.replace(/"num_class":"4"/, '"num_class":"1000000000"')).code).toBe("invalid");
    expect(refusal(XGB.replace(/"tree_info":\[0,/, '"tree_info":[')).message).toMatch(/tree_info/);
  });

  test("a tree whose children form a cycle is refused", () => {
    const doc = JSON.parse(XGB) as {
      learner: { gradient_booster: { model: { trees: { left_children: number[] }[] } } };
    };
    doc.learner.gradient_booster.model.trees[0]!.left_children[1] = 0;
    expect(refusal(JSON.stringify(doc)).message).toMatch(/tree 0/);
  });
});

describe("fuzz: every input ends in a model or a clear ModelFormatError", () => {
  test("garbage and unknown formats", () => {
    expect(refusal("hello world").code).toBe("unknown_format");
    expect(refusal("").code).toBe("unknown_format");
    expect(() => parseModel(new Uint8Array([0xff, 0xfe, 0x00, 0x7b]), "auto")).toThrow(ModelFormatError);
    expect(() => detectFormat("\u0000\u0001")).toThrow(/not a LightGBM/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => parsesOrRefuses(bytes, "auto")),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => parsesOrRefuses(s, "lightgbm")),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.json(), (s) => parsesOrRefuses(s, "xgboost")),
      { numRuns: 300 },
    );
  });

  test("truncated at every kind of position", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (cut) => {
        parsesOrRefuses(LGB.slice(0, Math.floor(cut * LGB.length)), "auto");
        parsesOrRefuses(XGB.slice(0, Math.floor(cut * XGB.length)), "auto");
      }),
      { numRuns: 200 },
    );
  });

  test("random numbers substituted anywhere", () => {
    const lgbNumbers = [...LGB.matchAll(/-?\d+(\.\d+)?(e[-+]?\d+)?/g)];
    const xgbNumbers = [...XGB.matchAll(/-?\d+(\.\d+)?(E[-+]?\d+)?/g)];
    const replacement = fc.constantFrom(
      "-1",
      "0",
      "1e300",
      "99999999999",
      "NaN",
      "-2147483649",
      "4.5",
      "",
      "[]",
    );
    fc.assert(
      fc.property(fc.nat(), fc.nat(), replacement, (a, b, r) => {
        const m1 = lgbNumbers[a % lgbNumbers.length]!;
        parsesOrRefuses(LGB.slice(0, m1.index) + r + LGB.slice(m1.index + m1[0].length), "lightgbm");
        const m2 = xgbNumbers[b % xgbNumbers.length]!;
        parsesOrRefuses(XGB.slice(0, m2.index) + r + XGB.slice(m2.index + m2[0].length), "xgboost");
      }),
      { numRuns: 300 },
    );
  });
});
