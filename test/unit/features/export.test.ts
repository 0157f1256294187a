import { parquetMetadata, parquetReadObjects } from "hyparquet";
import {
  buildFeatureExport,
  FEATURE_NAMES_V1,
  featureExportToCsv,
  featureExportToParquet,
  type PricePanel,
} from "../../../src/features/index.js";

const panel: PricePanel = {
  dates: ["2026-01-01", "2026-01-02", "2026-01-03"],
  tickers: ["A", "B"],
  closes: Float64Array.of(10, 11, 12.1, 20, 19, 19),
};

describe("training export", () => {
  test("has one row per date and ticker from --from, with the forward-return target", () => {
    const e = buildFeatureExport(panel, { from: "2026-01-02", targetHorizon: 1 });
    expect(e.dates).toEqual(["2026-01-02", "2026-01-02", "2026-01-03", "2026-01-03"]);
    expect(e.tickers).toEqual(["A", "B", "A", "B"]);
    expect(e.columns).toEqual([...FEATURE_NAMES_V1, "target_fwd_ret_1d"]);
    const target = e.data.at(-1)!;
    expect(target[0]).toBeCloseTo(0.1, 12);
    expect(target[1]).toBe(0);
    expect(target[2]).toBeNaN();
  });

  test("CSV writes NaN as an empty cell and numbers that parse back exactly", () => {
    const csv = featureExportToCsv(buildFeatureExport(panel));
    const [header, first, , , fourth] = csv.split("\n");
    expect(header).toBe(["date", "ticker", ...FEATURE_NAMES_V1].join(","));
    expect(first!.startsWith("2026-01-01,A,,")).toBe(true);
    expect(fourth!.startsWith("2026-01-02,B,")).toBe(true);
    const ret1 = Number(fourth!.split(",")[2]);
    expect(ret1).toBe(19 / 20 - 1);
  });

  test("Parquet carries the feature-set version and nulls for NaN", async () => {
    const bytes = featureExportToParquet(buildFeatureExport(panel));
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const kv = parquetMetadata(file).key_value_metadata ?? [];
    expect(kv).toContainEqual({ key: "maie.feature_set", value: "v1" });
    const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(rows).toHaveLength(6);
    expect(rows[0]!["ret_1d"]).toBeNull();
    expect(rows[5]!["ret_1d"]).toBe(0);
  });
});
