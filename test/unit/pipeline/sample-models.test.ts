import { mkdirSync, mkdtempSync, readFileSync, rmSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readExpectedLatest } from "../../../src/panel/index.js";
import { runPipeline } from "../../../src/pipeline/run.js";
import { loadExplainableModel, type ExplainableModel } from "../../../src/treeshap/model.js";

/** Written by tools/sample/make-sample.sh: the Python libraries' own predictions and SHAP on the latest date. */
interface Reference {
  readonly as_of: string;
  readonly tickers: string[];
  readonly lightgbm: { prediction: number[]; shap: number[][] };
  readonly xgboost: { prediction: number[]; shap: number[][] };
}
const ref = JSON.parse(readFileSync("test/fixtures/pipeline/sample_predictions.json", "utf8")) as Reference;

const MODELS = {
  lightgbm: { dir: "config/samples/data/models/lightgbm", file: "model.txt", tol: 1e-9, shapTol: 1e-6 },
  xgboost: { dir: "config/samples/data/models/xgboost", file: "model.xgb.json", tol: 1e-5, shapTol: 1e-4 },
} as const;

describe.each(Object.keys(MODELS) as (keyof typeof MODELS)[])("pipeline with the sample %s model", (kind) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `maie-sample-${kind}-`));
    mkdirSync(join(dir, "prices"));
    mkdirSync(join(dir, "models"));
    copyFileSync("config/samples/data/prices.csv", join(dir, "prices", "prices.csv"));
    copyFileSync(join(MODELS[kind].dir, MODELS[kind].file), join(dir, "models", MODELS[kind].file));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("scores every ticker as the Python library does, with SHAP that adds up", async () => {
    let shap: Float64Array | null = null;
    const summary = await runPipeline({
      dataDir: dir,
      modelPath: join("models", MODELS[kind].file),
      async loadModel(bytes, format): Promise<ExplainableModel> {
        const m = await loadExplainableModel(bytes, format);
        return {
          ...m,
          shap(rows, n) {
            shap = m.shap(rows, n);
            return shap;
          },
        };
      },
    });
    expect(summary).toMatchObject({ ok: true, asOf: ref.as_of, scored: ref.tickers.length });
    const panel = await readExpectedLatest(dir);
    expect(panel.tickers).toEqual(ref.tickers);
    const { tol, shapTol } = MODELS[kind];
    const nCols = ref[kind].shap[0]!.length;
    panel.tickers.forEach((_, i) => {
      const want = ref[kind].prediction[i]!;
      expect(Math.abs(panel.alpha[i]! - want)).toBeLessThanOrEqual(tol * (1 + Math.abs(want)));
      let sum = 0;
      for (let c = 0; c < nCols; c++) {
        const got = shap![i * nCols + c]!;
        sum += got;
        const w = ref[kind].shap[i]![c]!;
        expect(Math.abs(got - w)).toBeLessThanOrEqual(shapTol * (1 + Math.abs(w)));
      }
      expect(Math.abs(sum - panel.alpha[i]!)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(panel.alpha[i]!)));
    });
  });
});
