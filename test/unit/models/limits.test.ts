import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LIMITS, ModelFormatError, parseModel } from "../../../src/models/load.js";
import { Explainer, MAX_LAYOUT_FEATURES } from "../../../src/treeshap/explainer.js";
import { FIXTURE_DIR } from "../treeshap/fixtures.js";

/**
 * Model bounds (docs/security.md, "Limits"): a small hostile file is refused
 * with an error naming the limit, before it can allocate what it declares.
 */

const text = (name: string) => readFileSync(join(FIXTURE_DIR, name), "utf8");

function refusal(input: string): ModelFormatError {
  try {
    parseModel(input, "auto");
  } catch (err) {
    if (err instanceof ModelFormatError) return err;
    throw err;
  }
  throw new Error("the model was accepted");
}

describe("model limits", () => {
  test("the limits sit under the TreeSHAP layout's", () => {
    expect(LIMITS.maxFeatures).toBeLessThan(MAX_LAYOUT_FEATURES);
    expect(MAX_LAYOUT_FEATURES).toBe(2 ** 23);
  });

  test("more features than LIMITS.maxFeatures (LightGBM, no names: none generated) is refused naming it", () => {
    const lgb = text("lgb_depth2.model.txt")
      .replace(/^max_feature_idx=\d+$/m, `max_feature_idx=${LIMITS.maxFeatures}`)
      .replace(/^feature_names=.*\n/m, "");
    const e = refusal(lgb);
    expect(e.code).toBe("invalid");
    expect(e.message).toContain("LIMITS.maxFeatures");
  });

  test("more features than LIMITS.maxFeatures (XGBoost) is refused naming it", () => {
    const xgb = text("xgb_categorical.json").replace(
      /("learner_model_param":\{[^}]*"num_feature":")\d+"/,
      `$1${LIMITS.maxFeatures + 1}"`,
    );
    const e = refusal(xgb);
    expect(e.message).toContain("LIMITS.maxFeatures");
  });

  test("XGBoost categories past LIMITS.maxCategory are refused naming it", () => {
    const doc = JSON.parse(text("xgb_categorical.json")) as Doc;
    const tree = doc.learner.gradient_booster.model.trees[0]!;
    tree.categories[tree.categories_sizes[0]! - 1] = LIMITS.maxCategory;
    const e = refusal(JSON.stringify(doc));
    expect(e.code).toBe("invalid");
    expect(e.message).toContain("LIMITS.maxCategory");
  });

  test("categorical bitsets past LIMITS.maxCategoricalWords are refused before they are allocated", () => {
    // Every categorical split gets the largest category: 2^19 words each; nine of them pass the limit.
    const doc = JSON.parse(text("xgb_categorical.json")) as Doc;
    let splits = 0;
    for (const tree of doc.learner.gradient_booster.model.trees)
      tree.categories_segments.forEach((start, k) => {
        tree.categories[start + tree.categories_sizes[k]! - 1] = LIMITS.maxCategory - 1;
        splits++;
      });
    expect(splits * ((LIMITS.maxCategory - 1) / 32 + 1)).toBeGreaterThan(LIMITS.maxCategoricalWords);
    const e = refusal(JSON.stringify(doc));
    expect(e.code).toBe("too_large");
    expect(e.message).toContain("LIMITS.maxCategoricalWords");
  });

  test("the TreeSHAP layout refuses more than MAX_LAYOUT_FEATURES features before allocating", async () => {
    const model = parseModel(text("lgb_depth2.model.txt"), "lightgbm");
    const err = await Explainer.load({ ...model, numFeatures: MAX_LAYOUT_FEATURES + 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toContain("MAX_LAYOUT_FEATURES");
  });
});

interface Doc {
  learner: {
    gradient_booster: {
      model: {
        trees: { categories: number[]; categories_segments: number[]; categories_sizes: number[] }[];
      };
    };
  };
}
