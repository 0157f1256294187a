import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  loadPrices,
  MAX_PRICE_FILE_BYTES,
  MAX_PRICE_PANEL_CELLS,
  parsePricesCsv,
  PricesError,
} from "../../../src/prices/index.js";

/** Bounded work per price file (docs/security.md, "Limits"). */

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (err) {
    if (err instanceof PricesError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("no error");
}

describe("price numbers are parsed in linear time", () => {
  // A quadratic pattern (`\d+\.?\d*`) takes minutes on these: the failure signal is Jest's timeout.
  const MB = 1024 * 1024;

  test("a 1 MB run of digits with a bad tail is a BAD_PRICE", () => {
    for (const tail of ["x", ".x", "e", "e+", "..", "-"]) {
      const cell = "1".repeat(MB) + tail;
      const e = failure(() => parsePricesCsv(`date,AAA\n2026-01-02,${cell}\n`));
      expect(e.code).toBe("BAD_PRICE");
      expect(e.message).toContain("AAA");
      expect(e.message.length).toBeLessThan(200); // the cell is quoted cut short
    }
  });

  test("1 MB digit runs around a dot and an exponent are read as the number they are", () => {
    const digits = "1".repeat(MB);
    for (const cell of [`1.${digits}`, `0.${digits}`, `.${digits}e-3`, `0.${digits}e+5`]) {
      const { panel } = parsePricesCsv(`date,AAA\n2026-01-02,${cell}\n`);
      expect(panel.closes[0]).toBe(Number(cell));
    }
  });

  test("property: long adversarial strings are rejected or read as Number reads them", () => {
    const piece = fc.constantFrom("1", "0", ".", "e", "E", "+", "-", "x");
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }),
        fc.integer({ min: 10_000, max: 100_000 }),
        fc.array(piece, { maxLength: 4 }),
        (head, n, tail) => {
          const cell = head.join("") + "9".repeat(n) + tail.join("");
          const strict = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(cell);
          const value = Number(cell);
          if (strict && Number.isFinite(value) && value > 0) {
            expect(parsePricesCsv(`date,AAA\n2026-01-02,${cell}\n`).panel.closes[0]).toBe(value);
          } else {
            expect(failure(() => parsePricesCsv(`date,AAA\n2026-01-02,${cell}\n`)).code).toBe("BAD_PRICE");
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("price files are bounded before the panel is allocated", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "maie-price-bounds-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a long CSV whose every row is a new date and a new ticker is TOO_LARGE naming MAX_PRICE_PANEL_CELLS", () => {
    // 6,000 rows (~150 KB): 6,000 dates × 6,000 tickers = 36M cells, a 288 MB matrix.
    const rows = Array.from({ length: 6_000 }, (_, i) => {
      const d = new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      return `${d},T${i},1`;
    });
    expect(6_000 * 6_000).toBeGreaterThan(MAX_PRICE_PANEL_CELLS);
    const e = failure(() => parsePricesCsv(`date,ticker,close\n${rows.join("\n")}\n`));
    expect(e.code).toBe("TOO_LARGE");
    expect(e.message).toContain("MAX_PRICE_PANEL_CELLS");
    expect(e.message).toContain("6000 dates × 6000 tickers");
  });

  test("the same shape under the bound loads", () => {
    const rows = Array.from({ length: 300 }, (_, i) => {
      const d = new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      return `${d},T${i},1`;
    });
    const { panel } = parsePricesCsv(`date,ticker,close\n${rows.join("\n")}\n`);
    expect(panel.closes.length).toBe(300 * 300);
  });

  test("a price file over MAX_PRICE_FILE_BYTES is TOO_LARGE before it is read", async () => {
    const file = join(dir, "prices.csv");
    writeFileSync(file, "date,AAA\n2026-01-02,1\n");
    truncateSync(file, MAX_PRICE_FILE_BYTES + 1); // sparse: no disk used
    const err = await loadPrices(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PricesError);
    expect((err as PricesError).code).toBe("TOO_LARGE");
    expect((err as PricesError).message).toContain("MAX_PRICE_FILE_BYTES");
  });
});
