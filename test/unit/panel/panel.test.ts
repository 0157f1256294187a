import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeExpectedPanel,
  decodePanelFeatures,
  encodeExpectedPanel,
  PanelFormatError,
  readExpectedLatest,
  readFeaturesLatest,
  readPandasParquet,
  writeExpected,
} from "../../../src/panel/index.js";
import { EXPECTED_LATEST, historyPath } from "../../../src/contract/data-layout.js";

// Written by real pandas + pyarrow: tools/sample/panel_fixture.py write test/fixtures/panel
const FIXTURES = "test/fixtures/panel";

describe("expected panel parquet", () => {
  test("a pandas-written MAIE panel reads as date + one alpha per ticker", async () => {
    const panel = await decodeExpectedPanel(readFileSync(join(FIXTURES, "expected_pandas.parquet")));
    expect(panel.asOf).toBe("2026-11-27");
    expect(panel.tickers).toEqual(["AAA", "BBB", "CCC", "DDD", "EEE"]);
    expect(Array.from(panel.alpha)).toEqual([0.0123, -0.0045, 0, 1.5e-7, -0.25]);
  });

  test("a pandas-written ticker × feature frame reads with NaN for missing", async () => {
    const f = await decodePanelFeatures(readFileSync(join(FIXTURES, "features_pandas.parquet")));
    expect(f.tickers).toEqual(["AAA", "BBB", "CCC", "DDD", "EEE"]);
    expect(f.featureNames).toEqual(["ret_21d", "rsi_14"]);
    expect(f.values[4]).toBeNaN();
    expect(f.values[9]).toBe(99);
  });

  test("our panel carries the same pandas metadata shape as the pandas fixture", async () => {
    const ours = await readPandasParquet(
      encodeExpectedPanel({ asOf: "2026-11-27", tickers: ["AAA"], alpha: Float64Array.of(1) }),
    );
    const theirs = await readPandasParquet(readFileSync(join(FIXTURES, "expected_pandas.parquet")));
    const shape = (m: string | undefined) => {
      const p = JSON.parse(m ?? "{}") as { index_columns: string[]; columns: { pandas_type: string }[] };
      return { index: p.index_columns, last: p.columns.at(-1)?.pandas_type };
    };
    expect(shape(ours.metadata?.["pandas"])).toEqual(shape(theirs.metadata?.["pandas"]));
  });

  test("write then read round-trips panel, features and history", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maie-panel-"));
    try {
      const alpha = Float64Array.of(0.1, -0.2, Number.NaN);
      await writeExpected(
        dir,
        { asOf: "2026-11-27", tickers: ["X", "Y", "Z"], alpha },
        {
          asOf: "2026-11-27",
          featureSet: "v1",
          tickers: ["X", "Y", "Z"],
          featureNames: ["a", "b"],
          values: Float64Array.of(1, 2, 3, 4, 5, Number.NaN),
        },
      );
      const panel = await readExpectedLatest(dir);
      expect(panel.asOf).toBe("2026-11-27");
      expect(Array.from(panel.alpha)).toEqual([0.1, -0.2, NaN]);
      const hist = await decodeExpectedPanel(readFileSync(join(dir, historyPath("2026-11-27"))));
      expect(hist.tickers).toEqual(["X", "Y", "Z"]);
      const f = await readFeaturesLatest(dir);
      expect(f.featureSet).toBe("v1");
      expect(f.asOf).toBe("2026-11-27");
      expect(Array.from(f.values)).toEqual([1, 2, 3, 4, 5, NaN]);
      expect(readFileSync(join(dir, EXPECTED_LATEST)).subarray(0, 4).toString()).toBe("PAR1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a file that is not Parquet is rejected with a PanelFormatError", async () => {
    await expect(decodeExpectedPanel(new TextEncoder().encode("date,AAA\n2026-11-27,1\n"))).rejects.toThrow(
      PanelFormatError,
    );
  });

  test("an invalid date is refused before anything is written", () => {
    expect(() =>
      encodeExpectedPanel({ asOf: "27/11/2026", tickers: ["A"], alpha: Float64Array.of(1) }),
    ).toThrow(/invalid date/);
  });
});
