import { parquetWriteBuffer } from "hyparquet-writer";
import {
  columnIndexes,
  csvQuote,
  csvRow,
  parquetBuffer,
  readCsv,
  readParquetRows,
  splitCsvLine,
} from "../../../src/table/index.js";

describe("CSV", () => {
  test("splitCsvLine: quotes, doubled quotes, commas inside quotes, empty cells", () => {
    expect(splitCsvLine('a,"b,c","d""e",,f')).toEqual(["a", "b,c", 'd"e', "", "f"]);
    expect(splitCsvLine("")).toEqual([""]);
    expect(splitCsvLine(" x , y ")).toEqual([" x ", " y "]);
  });

  test("readCsv skips blank lines; the header is the first line or the first non-blank one", () => {
    const text = "\n a,b\r\n1,2\n\n  \n3,4\n";
    expect(readCsv(text, "first")).toEqual({
      header: [""],
      rows: [
        [" a", "b"],
        ["1", "2"],
        ["3", "4"],
      ],
    });
    expect(readCsv(text, "firstNonBlank")).toEqual({
      header: [" a", "b"],
      rows: [
        ["1", "2"],
        ["3", "4"],
      ],
    });
    expect(readCsv(" \n\n", "firstNonBlank")).toEqual({ header: [], rows: [] });
    expect(readCsv("", "first")).toEqual({ header: [""], rows: [] });
  });

  test("csvQuote/csvRow quote only what needs it; numbers as String(n)", () => {
    expect(csvQuote("plain")).toBe("plain");
    expect(csvQuote('a"b')).toBe('"a""b"');
    expect(csvQuote("a,b")).toBe('"a,b"');
    expect(csvRow(["row", "shap_a,b", 0, -1.5, Number.NaN, 1e-7])).toBe('row,"shap_a,b",0,-1.5,NaN,1e-7');
    expect(splitCsvLine(csvRow(['x"y', "p,q"]))).toEqual(['x"y', "p,q"]);
  });
});

describe("Parquet", () => {
  const file = new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: "ticker", data: ["A", "B"], type: "STRING" },
        { name: "x", data: [1.5, null], type: "DOUBLE" },
      ],
    }),
  );

  test("parquetBuffer copies exactly the view's range", () => {
    const padded = new Uint8Array(file.length + 7);
    padded.set(file, 3);
    const view = padded.subarray(3, 3 + file.length);
    const buf = parquetBuffer(view);
    expect(buf.byteLength).toBe(file.length);
    expect(new Uint8Array(buf)).toEqual(file);
  });

  test("readParquetRows: rows keyed by column, header from the first row", async () => {
    const padded = new Uint8Array(file.length + 5);
    padded.set(file, 5);
    const { header, rows } = await readParquetRows(padded.subarray(5));
    expect(header).toEqual(["ticker", "x"]);
    expect(rows).toEqual([
      { ticker: "A", x: 1.5 },
      { ticker: "B", x: null },
    ]);
  });

  test("readParquetRows rejects bytes that are not Parquet", async () => {
    await expect(readParquetRows(new TextEncoder().encode("date,close\n"))).rejects.toThrow();
  });
});

describe("columnIndexes", () => {
  test("finds each wanted name in wanted order and lists the absent ones", () => {
    expect(columnIndexes(["a", "b", "c"], ["c", "a"])).toEqual({ indexes: [2, 0], missing: [] });
    expect(columnIndexes(["a", "b"], ["x", "b", "y"])).toEqual({ indexes: [1], missing: ["x", "y"] });
  });

  test("a name present twice resolves to its last column", () => {
    expect(columnIndexes(["a", "a"], ["a"]).indexes).toEqual([1]);
  });
});
