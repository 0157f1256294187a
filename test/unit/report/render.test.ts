import { renderReport, REPORT_CSP, turnover, type ReportInput } from "../../../src/report/index.js";
import { meanAbsShap } from "../../../src/treeshap/importance.js";

function input(tickers: string[], alpha: number[], previous: ReportInput["previous"] = null): ReportInput {
  const nF = 2;
  return {
    asOf: "2026-11-27",
    generatedAt: "2026-11-28T22:15:00.000Z",
    featureSet: "v1",
    tickers,
    alpha: Float64Array.from(alpha),
    featureNames: ["ret_1d", "rsi_14"],
    featureValues: new Float64Array(tickers.length * nF).fill(0.5),
    shap: Float64Array.from({ length: tickers.length * (nF + 1) }, (_, i) =>
      i % 3 === 2 ? 0.01 : (alpha[Math.floor(i / 3)]! - 0.01) / 2,
    ),
    previous,
    model: {
      path: "models/model.txt",
      format: "lightgbm",
      sha256: "ab".repeat(32),
      trees: 3,
      modifiedAt: "2026-11-01T00:00:00Z",
    },
    prices: {
      source: "prices/prices.csv",
      firstDate: "2025-01-01",
      lastDate: "2026-11-27",
      dates: 400,
      gaps: 0,
      staleTickers: [],
    },
  };
}

describe("report rendering", () => {
  test("a single ticker, no previous panel: charts present, turnover explained", () => {
    const html = renderReport(input(["ONLY"], [0.02]));
    expect(html).toContain(`content="${REPORT_CSP}"`);
    expect(html).toContain('data-chart="histogram"');
    expect(html.match(/data-chart="waterfall"/g)).toHaveLength(1);
    expect(html).toContain("No previous panel");
    expect(html).not.toContain("NaN");
  });

  test("equal alphas and a NaN alpha do not break the histogram", () => {
    const html = renderReport(input(["A", "B", "C"], [0.01, 0.01, Number.NaN]));
    expect(html).toContain("alpha (2 tickers");
    expect(html).not.toMatch(/="NaN|Infinity/);
  });

  test("ticker names are escaped", () => {
    const html = renderReport(input(["<script>x</script>", "B&B"], [0.1, -0.1]));
    expect(html).not.toContain("<script>");
    expect(html).toContain("&#60;script&#62;");
    expect(html).toContain("B&#38;B");
  });

  test("turnover compares common tickers and counts added and removed ones", () => {
    const prev = {
      asOf: "2026-11-26",
      tickers: ["A", "B", "C", "D", "E", "X"],
      alpha: Float64Array.of(5, 4, 3, 2, 1, 0),
    };
    const cur = {
      asOf: "2026-11-27",
      tickers: ["A", "B", "C", "D", "E", "Y"],
      alpha: Float64Array.of(1, 2, 3, 4, 5, 0),
    };
    const t = turnover(prev, cur);
    expect(t).toMatchObject({ common: 5, added: 1, removed: 1, topQuintileTurnover: 1 });
    expect(t.rankCorrelation).toBeCloseTo(-1, 12);
    expect(t.meanAbsChange).toBeCloseTo(12 / 5, 12);
  });

  test("global importance is the mean absolute SHAP per feature, bias excluded", () => {
    expect(Array.from(meanAbsShap(Float64Array.of(1, -3, 9, -1, 1, 9), 2, 2))).toEqual([1, 2]);
  });
});
