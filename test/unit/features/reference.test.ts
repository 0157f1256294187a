import { readFileSync } from "node:fs";
import { computeFeatures, FEATURE_NAMES_V1 } from "../../../src/features/index.js";
import { loadPrices } from "../../../src/prices/index.js";

/** tools/sample/reference_features.py: feature set v1 re-implemented with pandas rolling windows. */
interface Reference {
  dates: string[];
  tickers: string[];
  features: string[];
  values: Record<string, (number | null)[][]>;
}
const ref = JSON.parse(readFileSync("test/fixtures/pipeline/features_reference.json", "utf8")) as Reference;

describe("feature set v1 against an independent pandas implementation", () => {
  test("matches on every ticker and feature of the last three sample dates", async () => {
    const { panel } = await loadPrices("config/samples/data/prices.csv");
    expect(ref.features).toEqual(FEATURE_NAMES_V1);
    expect(ref.tickers).toEqual(panel.tickers);
    let compared = 0;
    for (const date of ref.dates) {
      const m = computeFeatures(panel, panel.dates.indexOf(date));
      const nF = m.featureNames.length;
      ref.values[date]!.forEach((row, t) =>
        row.forEach((want, f) => {
          const got = m.values[t * nF + f]!;
          if (want === null) expect(got).toBeNaN();
          else {
            const tol = 1e-9 * (1 + Math.abs(want));
            if (!(Math.abs(got - want) <= tol))
              throw new Error(`${date} ${m.tickers[t]} ${m.featureNames[f]}: ours ${got}, pandas ${want}`);
            compared++;
          }
        }),
      );
    }
    expect(compared).toBe(3 * 50 * 22);
  });

  test("pandas-written wide and long price Parquet files load as the same panel", async () => {
    const wide = await loadPrices("test/fixtures/pipeline/prices_pandas_wide.parquet");
    const long = await loadPrices("test/fixtures/pipeline/prices_pandas_long.parquet");
    expect(wide.report.layout).toBe("wide");
    expect(long.report.layout).toBe("long");
    expect(wide.panel.dates).toHaveLength(30);
    expect(wide.panel.dates[0]).toBe("2025-05-19");
    expect(long.panel.dates).toEqual(wide.panel.dates);
    expect(long.panel.tickers).toEqual(wide.panel.tickers);
    expect(Array.from(long.panel.closes)).toEqual(Array.from(wide.panel.closes));
    const csv = await loadPrices("config/samples/data/prices.csv");
    expect(wide.panel.closes[0]).toBe(csv.panel.closes[0]);
  });
});
