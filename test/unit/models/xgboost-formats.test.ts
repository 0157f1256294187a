import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  LIMITS,
  ModelFormatError,
  parseModel,
  readModelFile,
  type TreeEnsemble,
} from "../../../src/models/load.js";
import { parseXgboostJson } from "../../../src/models/xgboost-json.js";
import { Explainer } from "../../../src/treeshap/explainer.js";
import { FIXTURE_DIR, readFixture, rowMatrix } from "../treeshap/fixtures.js";

/**
 * XGBoost files as the versions write them (fixtures from
 * tools/fixtures/make_xgboost_versions.sh, XGBoost 1.7–3.4): DART weights in
 * their three places, 1.7's bare NaN tokens, UBJSON against the JSON of the
 * same model, and the key allow-list. native-fixtures.test.ts checks each
 * file's predictions and SHAP against the library's own.
 */

const bytes = (file: string): Uint8Array => readFileSync(join(FIXTURE_DIR, file));
const text = (file: string): string => readFileSync(join(FIXTURE_DIR, file), "utf8");

function refusal(input: string | Uint8Array): ModelFormatError {
  try {
    parseModel(input, "auto");
  } catch (e) {
    if (e instanceof ModelFormatError) return e;
    throw e;
  }
  throw new Error("expected a ModelFormatError");
}

type Doc = {
  learner: {
    learner_model_param: Record<string, unknown>;
    gradient_booster: {
      name: string;
      weight_drop?: number[];
      gbtree?: { model: Record<string, unknown> } & Record<string, unknown>;
      model: { weight_drop?: number[]; gbtree_model_param: Record<string, unknown>; trees: Tree[] } & Record<
        string,
        unknown
      >;
    } & Record<string, unknown>;
  } & Record<string, unknown>;
};
type Tree = Record<string, unknown> & { tree_param: Record<string, unknown> };

const doc = (file: string): Doc => parseXgboostJson(text(file)) as Doc;

/** Every array of the ensemble, element for element (NaN equal to NaN). */
function expectSameEnsemble(a: TreeEnsemble, b: TreeEnsemble): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const key of Object.keys(a) as (keyof TreeEnsemble)[]) {
    const [x, y] = [a[key], b[key]];
    if (ArrayBuffer.isView(x))
      expect(Array.from(x as ArrayLike<number>)).toEqual(Array.from(y as ArrayLike<number>));
    else expect(x).toEqual(y);
  }
}

async function margins(m: TreeEnsemble, fixture: string): Promise<Float64Array> {
  const fx = readFixture(fixture);
  const explainer = await Explainer.load(m);
  try {
    return explainer.predict(rowMatrix(fx.rows), fx.rows.length);
  } finally {
    explainer.dispose();
  }
}

describe("DART tree weights in every placement", () => {
  test("the fixtures cover name:dart (1.7–3.0), weights beside the gbtree model (3.3) and inside it (3.4)", () => {
    for (const v of ["v17", "v21", "v30"]) {
      const gb = doc(`xgb_${v}_dart.json`).learner.gradient_booster;
      expect([gb.name, Array.isArray(gb.weight_drop)]).toEqual(["dart", true]);
    }
    const v33 = doc("xgb_v33_dart.json").learner.gradient_booster;
    expect([v33.name, Array.isArray(v33.weight_drop), v33.model.weight_drop]).toEqual([
      "gbtree",
      true,
      undefined,
    ]);
    const v34 = doc("xgb_v34_dart.json").learner.gradient_booster;
    expect([v34.name, v34.weight_drop, Array.isArray(v34.model.weight_drop)]).toEqual([
      "gbtree",
      undefined,
      true,
    ]);
  });

  test("3.4's weights inside the model are applied: without them the margins differ by far more than rounding", async () => {
    const d = doc("xgb_v34_dart.json");
    const weighted = await margins(parseModel(text("xgb_v34_dart.json"), "xgboost"), "xgb_v34_dart");
    delete d.learner.gradient_booster.model.weight_drop;
    const unweighted = await margins(parseModel(JSON.stringify(d), "xgboost"), "xgb_v34_dart");
    const native = readFixture("xgb_v34_dart").margin;
    const worst = (m: Float64Array): number => Math.max(...native.map((v, i) => Math.abs(m[i]! - v)));
    expect(worst(weighted)).toBeLessThan(1e-4);
    expect(worst(unweighted)).toBeGreaterThan(0.1);
  });

  test("weights in two places, or fewer weights than trees, are refused; an empty list means no weights", () => {
    const d = doc("xgb_v34_dart.json");
    const gb = d.learner.gradient_booster;
    const w = gb.model.weight_drop!;
    gb.weight_drop = w;
    expect(refusal(JSON.stringify(d)).message).toMatch(
      /tree weights are given twice \(gradient_booster\.weight_drop and gradient_booster\.model\.weight_drop\)/,
    );
    delete gb.weight_drop;
    gb.model.weight_drop = w.slice(1);
    expect(refusal(JSON.stringify(d)).message).toMatch(
      /gradient_booster\.model\.weight_drop has 5 tree weights for 6/,
    );
    gb.model.weight_drop = [];
    const plainModel = parseModel(JSON.stringify(d), "xgboost");
    delete gb.model.weight_drop;
    expectSameEnsemble(plainModel, parseModel(JSON.stringify(d), "xgboost"));

    const dart = doc("xgb_v21_dart.json");
    dart.learner.gradient_booster.gbtree!.weight_drop = [1];
    expect(refusal(JSON.stringify(dart)).message).toMatch(
      /gradient_booster\.gbtree has the key "weight_drop"/,
    );
  });
});

describe("unknown keys are refused, naming the key and the writing version", () => {
  test("the library-written file with a key injected into gradient_booster.model", () => {
    const e = refusal(text("error_xgb_unknown_key.json"));
    expect(e.code).toBe("unsupported");
    expect(e.message).toMatch(/gradient_booster\.model has the key "tree_scale"/);
    expect(e.message).toMatch(/XGBoost 3\.4\.1/);
  });

  test.each([
    ["learner", (d: Doc) => d.learner],
    ["learner.learner_model_param", (d: Doc) => d.learner.learner_model_param],
    ["gradient_booster", (d: Doc) => d.learner.gradient_booster],
    ["gradient_booster.model", (d: Doc) => d.learner.gradient_booster.model],
    [
      "gradient_booster.model.gbtree_model_param",
      (d: Doc) => d.learner.gradient_booster.model.gbtree_model_param,
    ],
    ["tree 1", (d: Doc) => d.learner.gradient_booster.model.trees[1]!],
    ["tree 0.tree_param", (d: Doc) => d.learner.gradient_booster.model.trees[0]!.tree_param],
  ])("in %s", (where, at) => {
    const d = doc("xgb_v34_categorical.json");
    at(d)["leaf_scale"] = 2;
    const e = refusal(JSON.stringify(d));
    expect(e.message).toContain(`${where} has the key "leaf_scale"`);
    expect(e.message).toContain("XGBoost 3.4.1");
  });

  test("in a dart booster and its gbtree (1.7 file)", () => {
    for (const at of [
      (d: Doc) => d.learner.gradient_booster,
      (d: Doc) => d.learner.gradient_booster.gbtree!,
    ]) {
      const d = doc("xgb_v17_dart.json");
      at(d)["extra"] = {};
      expect(refusal(JSON.stringify(d)).message).toMatch(/has the key "extra".*XGBoost 1\.7\.6/);
    }
  });

  test("every fixture written by XGBoost 1.7–3.4 passes the allow-list", () => {
    const files = readdirSync(FIXTURE_DIR).filter(
      (f) => /^xgb_.*\.(json|ubj)$/.test(f) && !f.endsWith(".expected.json"),
    );
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) expect(parseModel(bytes(f), "auto").numTrees).toBeGreaterThan(0);
  });

  test("num_trees and num_nodes must match the trees and nodes listed", () => {
    const d = doc("xgb_v34_categorical.json");
    d.learner.gradient_booster.model.gbtree_model_param.num_trees = "4";
    expect(refusal(JSON.stringify(d)).message).toMatch(/num_trees=4 for 5 trees/);
    d.learner.gradient_booster.model.gbtree_model_param.num_trees = "5";
    d.learner.gradient_booster.model.trees[2]!.tree_param.num_nodes = "3";
    expect(refusal(JSON.stringify(d)).message).toMatch(/tree 2: num_nodes=3 for \d+ nodes/);
  });
});

describe("bare NaN / Infinity tokens (XGBoost 1.7 JSON)", () => {
  test("the 1.7 categorical file has them and reads like its UBJSON twin", () => {
    const t = text("xgb_v17_categorical.json");
    expect(t).toMatch(/[,[]NaN[,\]]/);
    expect(() => JSON.parse(t) as unknown).toThrow();
    expectSameEnsemble(parseModel(t, "auto"), parseModel(bytes("xgb_v17_categorical.ubj"), "auto"));
  });

  test("exactly NaN, Infinity and -Infinity in value position, outside strings", () => {
    expect(parseXgboostJson('{"a":[NaN, Infinity ,-Infinity],"b":"NaN","c":NaN}')).toEqual({
      a: [NaN, Infinity, -Infinity],
      b: "NaN",
      c: NaN,
    });
    expect(parseXgboostJson('["x\\"NaN", NaN]')).toEqual(['x"NaN', NaN]);
    for (const bad of [
      "[nan]",
      "[-NaN]",
      "[+Infinity]",
      "[inf]",
      "{NaN:1}",
      "[NaNa]",
      "[1NaN]",
      "[NaN NaN]",
    ]) {
      expect(() => parseXgboostJson(bad)).toThrow(ModelFormatError);
    }
    // Any document: non-finite numbers written as XGBoost writes them (with any spacing) read back exactly;
    // strings that merely contain the tokens are untouched.
    type V = null | boolean | number | string | V[] | { [k: string]: V };
    const write = (v: V, ws: string): string => {
      if (typeof v === "number" && !Number.isFinite(v))
        return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      if (Object.is(v, -0)) return "-0";
      if (Array.isArray(v)) return `[${ws}${v.map((x) => write(x, ws)).join(`${ws},${ws}`)}${ws}]`;
      if (v !== null && typeof v === "object")
        return `{${Object.entries(v)
          .map(([k, x]) => `${JSON.stringify(k)}${ws}:${ws}${write(x, ws)}`)
          .join(`${ws},`)}${ws}}`;
      return JSON.stringify(v);
    };
    const leaf = fc.oneof(
      fc.constantFrom(NaN, Infinity, -Infinity, "NaN", "-Infinity", '"NaN"', "Infinity]"),
      fc.double(),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
    );
    const doc = fc.letrec<{ v: V }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        leaf as fc.Arbitrary<V>,
        fc.array(tie("v")),
        fc.dictionary(fc.string(), tie("v")),
      ),
    })).v;
    fc.assert(
      fc.property(doc, fc.constantFrom("", " ", "\n\t "), (v, ws) => {
        expect(parseXgboostJson(write(v, ws))).toEqual(v);
      }),
      { numRuns: 500 },
    );

    // A string that escapes NUL could spell the sentinel: the tolerant pass stands down.
    expect(() => parseXgboostJson('["\\u0000maie:NaN", NaN]')).toThrow(ModelFormatError);
    expect(parseXgboostJson('["\\u0000maie:NaN"]')).toEqual(["\u0000maie:NaN"]);
  });
});

describe("UBJSON", () => {
  const pairs = readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".ubj"))
    .map((f) => [f, f.replace(/\.ubj$/, ".json")] as const);

  test("there are UBJSON fixtures from several versions", () => {
    expect(pairs.map(([u]) => u.slice(0, 7))).toEqual(
      expect.arrayContaining(["xgb_v17", "xgb_v21", "xgb_v34"]),
    );
  });

  test.each(pairs)("%s gives the same ensemble as %s", (ubj, json) => {
    expectSameEnsemble(parseModel(bytes(ubj), "auto"), parseModel(bytes(json), "auto"));
    expectSameEnsemble(parseModel(bytes(ubj), "xgboost"), parseModel(text(json), "xgboost"));
  });

  test("a UBJSON file is not a LightGBM model", () => {
    expect(() => parseModel(bytes(pairs[0]![0]), "lightgbm")).toThrow(/UBJSON, not a LightGBM/);
  });

  test("a cut UBJSON file is refused as truncated", () => {
    const b = bytes(pairs[0]![0]);
    expect(refusal(b.subarray(0, b.length >> 1)).code).toBe("truncated");
  });
});

describe("model size limit", () => {
  test("a file over LIMITS.maxModelBytes is refused before it is read", async () => {
    const dir = await mkdtemp(join(tmpdir(), "maie-model-"));
    try {
      const file = join(dir, "big.json");
      await writeFile(file, "");
      await truncate(file, LIMITS.maxModelBytes + 1); // sparse: no disk used
      await expect(readModelFile(file)).rejects.toThrow(/more than the 524288000-byte limit/);
      await writeFile(file, text("xgb_v34_dart.json"));
      expect(parseModel(await readModelFile(file), "auto").numTrees).toBe(6);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test("parseModel refuses bytes over the limit", () => {
    const huge = { byteLength: LIMITS.maxModelBytes + 1 } as Uint8Array;
    expect(refusal(huge).code).toBe("too_large");
  });
});
