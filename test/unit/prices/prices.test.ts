import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { loadPrices, parsePricesCsv, PricesError } from "../../../src/prices/index.js";

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof PricesError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return "no error";
};

describe("price input", () => {
  test("long CSV becomes a dates × tickers panel sorted by date and ticker", () => {
    const { panel, report } = parsePricesCsv(
      "date,ticker,close\n2026-01-02,BBB,20\n2026-01-02,AAA,10\n2026-01-05,AAA,11\n2026-01-05,BBB,21\n",
    );
    expect(panel.dates).toEqual(["2026-01-02", "2026-01-05"]);
    expect(panel.tickers).toEqual(["AAA", "BBB"]);
    expect(Array.from(panel.closes)).toEqual([10, 11, 20, 21]);
    expect(report.layout).toBe("long");
    expect(report.gaps).toEqual([]);
  });

  test("wide CSV with an empty cell reports the gap and a ticker stale on the latest date", () => {
    const { panel, report } = parsePricesCsv(
      "date,AAA,BBB\n2026-01-01,1,5\n2026-01-02,,6\n2026-01-03,,7\n2026-01-04,2,8\n2026-01-05,3,\n",
    );
    expect(panel.tickers).toEqual(["AAA", "BBB"]);
    expect(report.gaps).toEqual([{ ticker: "AAA", from: "2026-01-02", to: "2026-01-03", missing: 2 }]);
    expect(report.staleTickers).toEqual(["BBB"]);
  });

  test("dates out of order are refused with the offending line", () => {
    expect(code(() => parsePricesCsv("date,AAA\n2026-01-02,1\n2026-01-01,2\n"))).toMatch(
      /^DATE_ORDER: .*2026-01-01 follows 2026-01-02 \(line 3\)/,
    );
    expect(code(() => parsePricesCsv("date,ticker,close\n2026-01-02,A,1\n2026-01-02,A,2\n"))).toMatch(
      /^DATE_ORDER: .*A 2026-01-02 after 2026-01-02/,
    );
  });

  test("zero, negative, infinite and non-numeric prices are refused, naming each", () => {
    const msg = code(() => parsePricesCsv("date,AAA,BBB\n2026-01-01,0,-1\n2026-01-02,Infinity,abc\n"));
    expect(msg).toMatch(/^BAD_PRICE: /);
    for (const bad of ["line 2 AAA: '0'", "line 2 BBB: '-1'", "line 3 AAA: 'Infinity'", "line 3 BBB: 'abc'"])
      expect(msg).toContain(bad);
  });

  test("a missing date column or a malformed date is a FORMAT error", () => {
    expect(code(() => parsePricesCsv("day,AAA\n2026-01-01,1\n"))).toMatch(/^FORMAT: .*no date column/);
    expect(code(() => parsePricesCsv("date,AAA\n01/02/2026,1\n"))).toMatch(/^FORMAT: .*'01\/02\/2026'/);
    expect(code(() => parsePricesCsv("date,AAA\n"))).toMatch(/^EMPTY/);
  });

  test("a long Parquet file with timestamp dates loads like the CSV", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maie-prices-"));
    try {
      const buf = parquetWriteBuffer({
        columnData: [
          {
            name: "date",
            data: [new Date("2026-01-02T00:00:00Z"), new Date("2026-01-05T00:00:00Z")],
            type: "TIMESTAMP",
          },
          { name: "ticker", data: ["AAA", "AAA"], type: "STRING" },
          { name: "close", data: [10, 11], type: "DOUBLE" },
        ],
      });
      writeFileSync(join(dir, "prices.parquet"), new Uint8Array(buf));
      const { panel, report } = await loadPrices(dir);
      expect(panel.dates).toEqual(["2026-01-02", "2026-01-05"]);
      expect(Array.from(panel.closes)).toEqual([10, 11]);
      expect(report.source).toBe(join(dir, "prices.parquet"));
      writeFileSync(join(dir, "other.csv"), "date,A\n2026-01-01,1\n");
      await expect(loadPrices(dir)).rejects.toThrow(/several price files/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
