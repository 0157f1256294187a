import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { explainCommand, formatCsv, rowsFromCsv } from "../../../src/cli/commands/explain.js";
import { LIMITS } from "../../../src/models/load.js";
import { FIXTURE_DIR, readFixture, withinTolerance } from "./fixtures.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "maie-explain-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test("CSV rows are matched to the model's features by name; empty and NaN cells are missing", () => {
  const t = rowsFromCsv('id,b,a\n1,2,"3"\n2,,NaN\n', ["a", "b"]);
  expect(t.nRows).toBe(2);
  expect(Array.from(t.values.subarray(0, 2))).toEqual([3, 2]);
  expect(t.values.subarray(2).every(Number.isNaN)).toBe(true);
});

test("CSV rows missing a model feature are refused, naming it", () => {
  expect(() => rowsFromCsv("a\n1\n", ["a", "zz"])).toThrow(/zz/);
  expect(() => rowsFromCsv("a\nx\n", ["a"])).toThrow(/not a number/);
});

test("CSV output has prediction, one shap column per feature and the bias", () => {
  const text = formatCsv(["f"], 1, 1, new Float64Array([1.5]), new Float64Array([1, 0.5]));
  expect(text).toBe("row,prediction,shap_f,bias\n0,1.5,1,0.5\n");
});

test("maie explain on a fixture writes the native SHAP values as JSON", async () => {
  const fx = readFixture("lgb_multiclass");
  const names = Array.from({ length: fx.numFeatures }, (_, k) => `Column_${k}`);
  const csv = [
    names.join(","),
    ...fx.rows.map((r) => r.map((v) => (v === null ? "" : String(v))).join(",")),
  ].join("\n");
  await writeFile(join(dir, "rows.csv"), csv);
  const out = join(dir, "out.json");
  const code = await explainCommand.run([
    "--model",
    join(FIXTURE_DIR, fx.model),
    "--rows",
    join(dir, "rows.csv"),
    "--output",
    "json",
    "--out",
    out,
  ]);
  expect(code).toBe(0);
  const doc = JSON.parse(await readFile(out, "utf8")) as { shap: number[][][]; predictions: number[][] };
  const flat = doc.shap.flat(2);
  expect(flat).toHaveLength(fx.shap.length);
  flat.forEach((v, i) => expect(withinTolerance("lightgbm", v, fx.shap[i]!)).toBe(true));
  expect(doc.predictions.flat().every((v, i) => withinTolerance("lightgbm", v, fx.margin[i]!))).toBe(true);
});

test("maie explain refuses a model file over LIMITS.maxModelBytes by its size, naming the limit", async () => {
  const model = join(dir, "huge.model.txt");
  await writeFile(model, "tree\n");
  await truncate(model, LIMITS.maxModelBytes + 1); // sparse: no disk used
  await writeFile(join(dir, "rows.csv"), "Column_0\n1\n");
  await expect(
    explainCommand.run(["--model", model, "--rows", join(dir, "rows.csv"), "--output", "json"]),
  ).rejects.toThrow(/LIMITS\.maxModelBytes/);
});
