import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ModelFormatError, parseModel, type TreeEnsemble } from "../../../src/models/load.js";
import { Explainer } from "../../../src/treeshap/explainer.js";
import { FIXTURE_DIR } from "../treeshap/fixtures.js";
import { applyByteEdits, byteEdit } from "./byte-edits.js";

/**
 * Structured mutations of real model files (the sample models the pipeline
 * ships and library-written fixtures): lines dropped, duplicated, swapped or
 * cut, values dropped or replaced (LightGBM text); keys dropped, values of
 * the wrong type, arrays shortened or grown, extreme numbers (XGBoost JSON).
 * parse.test.ts covers random bytes, truncation and number substitution.
 *
 * Property: the result is a ModelFormatError with a message, or a model whose
 * node links and features are in bounds and which the WASM core then loads
 * and runs (predict and SHAP on rows with NaN) without throwing, with
 * base + Σ SHAP = prediction wherever the prediction is finite.
 */

const SAMPLE = "config/samples/data/models";
const LGB_FILES = [
  readFileSync(join(SAMPLE, "lightgbm/model.txt"), "utf8"),
  readFileSync(join(FIXTURE_DIR, "lgb_categorical.model.txt"), "utf8"),
  readFileSync(join(FIXTURE_DIR, "lgb_multiclass.model.txt"), "utf8"),
];
const XGB_FILES = [
  readFileSync(join(SAMPLE, "xgboost/model.xgb.json"), "utf8"),
  readFileSync(join(FIXTURE_DIR, "xgb_categorical.json"), "utf8"),
  readFileSync(join(FIXTURE_DIR, "xgb_dart.json"), "utf8"),
  readFileSync(join(FIXTURE_DIR, "xgb_v34_dart.json"), "utf8"),
];
/** XGBoost's binary format (UBJSON), as 2.1 and 3.4 write it. */
const UBJ_FILES = ["xgb_v21_multiclass.ubj", "xgb_v34_dart.ubj", "xgb_v17_categorical.ubj"].map(
  (f) => new Uint8Array(readFileSync(join(FIXTURE_DIR, f))),
);

const WEIRD_TOKENS = [
  "-1",
  "0",
  "-0",
  "1e308",
  "-1e308",
  "1e400",
  "NaN",
  "nan",
  "inf",
  "-inf",
  "2147483648",
  "-2147483649",
  "9007199254740993",
  "4.5",
  "x",
  "",
  "[]",
  "1,2",
];

type Outcome = { kind: "refused"; code: string } | { kind: "model"; model: TreeEnsemble };

function parseOrRefuse(text: string | Uint8Array, format: "lightgbm" | "xgboost"): Outcome {
  try {
    return { kind: "model", model: parseModel(text, format) };
  } catch (e) {
    // Anything but a ModelFormatError (TypeError, RangeError, a thrown string) fails the property.
    if (!(e instanceof ModelFormatError)) throw e;
    expect(e.message.length).toBeGreaterThan(10);
    return { kind: "refused", code: e.code };
  }
}

/** Node links stay inside their own tree, split features inside the feature count. */
function checkBounds(m: TreeEnsemble): void {
  expect(m.treeStart[m.numTrees]).toBe(m.numNodes);
  expect(m.featureNames.length).toBe(m.numFeatures);
  for (let t = 0; t < m.numTrees; t++) {
    const lo = m.treeStart[t]!;
    const hi = m.treeStart[t + 1]!;
    expect(hi).toBeGreaterThan(lo);
    expect(m.treeOutput[t]).toBeGreaterThanOrEqual(0);
    expect(m.treeOutput[t]).toBeLessThan(m.numOutputs);
    for (let i = lo; i < hi; i++) {
      if (m.left[i]! < 0) continue;
      for (const c of [m.left[i]!, m.right[i]!]) {
        if (!(c > i && c < hi)) throw new Error(`tree ${t}: node ${i} links to ${c} outside (${i}, ${hi})`);
      }
      if (!(m.feature[i]! >= 0 && m.feature[i]! < m.numFeatures))
        throw new Error(`tree ${t}: node ${i} splits on feature ${m.feature[i]}`);
    }
  }
}

/** Loads the model into the WASM core and runs it on three rows: zeros, NaNs, and mixed values. */
async function runCore(m: TreeEnsemble): Promise<void> {
  const explainer = await Explainer.load(m);
  try {
    const nf = m.numFeatures;
    const rows = new Float64Array(3 * nf);
    for (let j = 0; j < nf; j++) {
      rows[nf + j] = NaN;
      rows[2 * nf + j] = j % 3 === 0 ? -1e6 : j % 3 === 1 ? 0.5 : 1e6;
    }
    const pred = explainer.predict(rows, 3);
    const phi = explainer.shap(rows, 3);
    expect(pred.length).toBe(3 * m.numOutputs);
    expect(phi.length).toBe(3 * m.numOutputs * (nf + 1));
    // Output 0 of each row: bias + Σ SHAP = prediction (margin space). SHAP
    // sums terms as large as the largest leaves even when the prediction is
    // small, so rounding scales with Σ_tree max |leaf| (a mutated leaf may be 9e15).
    let scale = 0;
    for (let t = 0; t < m.numTrees; t++) {
      let big = 0;
      for (let i = m.treeStart[t]!; i < m.treeStart[t + 1]!; i++) big = Math.max(big, Math.abs(m.value[i]!));
      scale += big;
    }
    for (let r = 0; r < 3; r++) {
      const p = pred[r * m.numOutputs]!;
      if (!Number.isFinite(p) || !Number.isFinite(scale)) continue;
      let sum = 0;
      for (let j = 0; j <= nf; j++) sum += phi[r * m.numOutputs * (nf + 1) + j]!;
      expect(Math.abs(sum - p)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(p)) + 1e-12 * scale);
    }
  } finally {
    explainer.dispose();
  }
}

async function check(
  text: string | Uint8Array,
  format: "lightgbm" | "xgboost",
  seen: Record<string, number>,
) {
  const out = parseOrRefuse(text, format);
  const key = out.kind === "model" ? "model" : out.code;
  seen[key] = (seen[key] ?? 0) + 1;
  if (out.kind === "model") {
    checkBounds(out.model);
    await runCore(out.model);
  }
}

// ---- LightGBM text mutations ----

type LineMutation =
  | { op: "drop" | "dup" | "cut"; at: number; frac: number }
  | { op: "swap"; at: number; other: number }
  | { op: "value"; at: number; which: number; token: string; how: "replace" | "drop" | "dup" };

const lineMutation: fc.Arbitrary<LineMutation> = fc.oneof(
  fc.record({
    op: fc.constantFrom("drop", "dup", "cut"),
    at: fc.nat(),
    frac: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({ op: fc.constant("swap"), at: fc.nat(), other: fc.nat() }),
  fc.record({
    op: fc.constant("value"),
    at: fc.nat(),
    which: fc.nat(),
    token: fc.constantFrom(...WEIRD_TOKENS),
    how: fc.constantFrom("replace", "drop", "dup"),
  }),
);

function mutateLines(text: string, mutations: readonly LineMutation[]): string {
  const lines = text.split("\n");
  for (const m of mutations) {
    const i = m.at % lines.length;
    if (m.op === "value") {
      // A value of a key=value line (most lines of a LightGBM model are arrays).
      const keyed = lines.map((l, k) => (/^[a-z_]+=/.test(l) ? k : -1)).filter((k) => k >= 0);
      const k = keyed[m.at % keyed.length]!;
      const [key, rest] = [
        lines[k]!.slice(0, lines[k]!.indexOf("=")),
        lines[k]!.slice(lines[k]!.indexOf("=") + 1),
      ];
      const values = rest.split(" ");
      const v = m.which % values.length;
      if (m.how === "replace") values[v] = m.token;
      else if (m.how === "drop") values.splice(v, 1);
      else values.splice(v, 0, values[v]!);
      lines[k] = `${key}=${values.join(" ")}`;
    } else if (m.op === "swap") {
      const j = m.other % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    } else if (m.op === "drop") lines.splice(i, 1);
    else if (m.op === "dup") lines.splice(i, 0, lines[i]!);
    else lines[i] = lines[i]!.slice(0, Math.floor(m.frac * lines[i]!.length));
    if (lines.length === 0) break;
  }
  return lines.join("\n");
}

// ---- XGBoost JSON mutations ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const REPLACEMENTS: Json[] = [
  null,
  true,
  "x",
  "",
  "NaN",
  "1e400",
  0,
  -1,
  1e308,
  2147483648,
  -2147483649,
  4.5,
  [],
  {},
  [1, 2],
];

/**
 * `steps` picks a path by walking down from the root (step d chooses a child
 * of level d), so paths are short as often as deep: header keys get hit as
 * well as node arrays, without listing every path of a 300 kB document.
 */
interface JsonMutation {
  readonly steps: readonly number[];
  readonly op: "delete" | "replace" | "shorten" | "grow";
  readonly value: number;
}
const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  steps: fc.array(fc.nat(), { minLength: 1, maxLength: 7 }),
  op: fc.constantFrom("delete", "replace", "shorten", "grow"),
  value: fc.nat(),
});

type Container = Json[] | { [k: string]: Json };
const isContainer = (v: Json): v is Container => v !== null && typeof v === "object";

function mutateJson(root: Json, m: JsonMutation): void {
  let parent: Json = root;
  let key: string | number | null = null;
  for (const step of m.steps) {
    const here: Json = key === null ? parent : (parent as Record<string | number, Json>)[key]!;
    if (!isContainer(here)) break;
    const keys: (string | number)[] = Array.isArray(here) ? here.map((_, i) => i) : Object.keys(here);
    if (keys.length === 0) break;
    parent = here;
    key = keys[step % keys.length]!;
  }
  if (key === null || !isContainer(parent)) return;
  const slot = parent as Record<string | number, Json>;
  const target = slot[key]!;
  // Copies, so no two slots (or the constant list itself) share a container.
  const replacement = structuredClone(REPLACEMENTS[m.value % REPLACEMENTS.length]!);
  if (m.op === "delete") {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else Reflect.deleteProperty(slot, key);
  } else if (m.op !== "replace" && Array.isArray(target) && target.length > 0) {
    const i = m.value % target.length;
    if (m.op === "shorten") target.splice(i, 1);
    else target.splice(i, 0, structuredClone(target[i]!));
  } else slot[key] = replacement;
}

describe("model parsers under structured mutation", () => {
  test("the unmutated files parse and run", async () => {
    for (const t of LGB_FILES) await check(t, "lightgbm", {});
    for (const t of XGB_FILES) await check(t, "xgboost", {});
    for (const b of UBJ_FILES) await check(b, "xgboost", {});
  });

  test("LightGBM text: dropped, duplicated, swapped, cut lines and bad values end in a usable model or a ModelFormatError", async () => {
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(lineMutation, { minLength: 1, maxLength: 3 }), async (f, muts) => {
        await check(mutateLines(LGB_FILES[f % LGB_FILES.length]!, muts), "lightgbm", seen);
      }),
      { numRuns: 400 },
    );
    // Both outcomes happen: the mutations are neither all fatal nor all harmless.
    expect(seen.model).toBeGreaterThan(0);
    expect(Object.keys(seen).length).toBeGreaterThan(2);
  });

  test("XGBoost JSON: dropped keys, wrong types, resized arrays and extreme numbers end in a usable model or a ModelFormatError", async () => {
    const docs = XGB_FILES.map((t) => JSON.parse(t) as Json);
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), async (f, muts) => {
        const doc = structuredClone(docs[f % docs.length]!);
        for (const m of muts) mutateJson(doc, m);
        await check(JSON.stringify(doc), "xgboost", seen);
      }),
      { numRuns: 400 },
    );
    expect(seen.model).toBeGreaterThan(0);
    expect(Object.keys(seen).length).toBeGreaterThan(2);
  });

  test("XGBoost UBJSON: bytes replaced, dropped, inserted or cut end in a usable model or a ModelFormatError", async () => {
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(byteEdit, { minLength: 1, maxLength: 3 }), async (f, edits) => {
        const file = UBJ_FILES[f % UBJ_FILES.length]!;
        await check(applyByteEdits(file, edits, 1), "xgboost", seen);
      }),
      { numRuns: 400 },
    );
    expect(seen.model).toBeGreaterThan(0);
    expect(Object.keys(seen).length).toBeGreaterThan(2);
  });
});
