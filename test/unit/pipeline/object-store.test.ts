import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { STORE_KEYS, storeReportKey } from "../../../src/contract/object-layout.js";
import { FEATURE_NAMES_V1 } from "../../../src/features/index.js";
import { ObjectStoreError, sha256Hex } from "../../../src/objectstore/index.js";
import { decodeExpectedPanel } from "../../../src/panel/index.js";
import { decodePanelPointer, type PanelPointer } from "../../../src/panel/pointer.js";
import { storeSink } from "../../../src/pipeline/outputs.js";
import { fetchPrices, resolvePricesObject } from "../../../src/pipeline/prices-uri.js";
import { PipelineError, runPipeline, type PipelineOptions } from "../../../src/pipeline/run.js";
import { MemoryObjectStore } from "../../harness/memory-object-store.js";
import { linearModel } from "./fake-model.js";

/**
 * The pipeline in object-store mode, against an in-memory store: prices
 * fetched from an object or the newest under a prefix, outputs published
 * with the pointer last, and what a failure at any point leaves published.
 * The same paths against the real S3 server: test/integration/panel-store.test.ts.
 */

const SAMPLE = readFileSync("config/samples/data/prices.csv", "utf8").trimEnd().split("\n");
/** The sample prices without their last `dropDays` dates. */
const pricesCsv = (dropDays = 0) => SAMPLE.slice(0, SAMPLE.length - dropDays).join("\n") + "\n";

/** The sample prices as a long Parquet file (date, ticker, close). */
function pricesParquet(): Uint8Array {
  const [header, ...rows] = SAMPLE;
  const tickers = header!.split(",").slice(1);
  const date: Date[] = [];
  const ticker: string[] = [];
  const close: number[] = [];
  for (const row of rows) {
    const [d, ...closes] = row.split(",");
    closes.forEach((c, i) => {
      date.push(new Date(`${d}T00:00:00Z`));
      ticker.push(tickers[i]!);
      close.push(Number(c));
    });
  }
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: "date", data: date, type: "TIMESTAMP" },
        { name: "ticker", data: ticker, type: "STRING" },
        { name: "close", data: close, type: "DOUBLE" },
      ],
    }),
  );
}

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "maie-pipeline-store-"));
  // Read (and sized) like any model file; the fake loader ignores the bytes.
  writeFileSync(join(dataDir, "model.txt"), "stand-in model bytes");
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const clock = () => new Date("2026-11-28T22:15:00Z");

function run(store: MemoryObjectStore, pricesUri: string, extra: Partial<PipelineOptions> = {}) {
  return runPipeline({
    dataDir,
    pricesFrom: { label: pricesUri, load: () => fetchPrices(store, pricesUri) },
    outputs: storeSink(store, clock),
    loadModel: async () => linearModel(FEATURE_NAMES_V1),
    modelPath: join(dataDir, "model.txt"),
    clock,
    ...extra,
  });
}

const pointerOf = (store: MemoryObjectStore): PanelPointer =>
  decodePanelPointer(store.bytes(STORE_KEYS.pointer)!, "pointer");

describe("prices from the object store", () => {
  test("one object: fetched, parsed as CSV by its extension, named in the summary", async () => {
    const store = new MemoryObjectStore();
    store.put("s3://prices/daily/2026-11-27.csv", pricesCsv());
    const summary = await run(store, "s3://prices/daily/2026-11-27.csv");
    expect(summary).toMatchObject({ ok: true, asOf: "2026-11-27", scored: 50 });
    expect(summary.prices?.source).toBe("s3://prices/daily/2026-11-27.csv");
  });

  test("a prefix: the newest .csv or .parquet object under it, whatever else is there", async () => {
    const store = new MemoryObjectStore();
    store.put("s3://prices/daily/a.csv", pricesCsv(2), new Date("2026-11-25T00:00:00Z"));
    store.put("s3://prices/daily/b.parquet", pricesParquet(), new Date("2026-11-27T00:00:00Z"));
    store.put("s3://prices/daily/notes.txt", "newest, but not prices", new Date("2026-11-28T00:00:00Z"));
    store.put("s3://prices/elsewhere.csv", pricesCsv(5), new Date("2026-11-29T00:00:00Z"));
    expect(await resolvePricesObject(store, "s3://prices/daily/")).toBe("s3://prices/daily/b.parquet");
    const loaded = await fetchPrices(store, "s3://prices/daily/");
    expect(loaded.report).toMatchObject({ lastDate: "2026-11-27", tickers: 50, layout: "long" });
    expect(loaded.report.source).toBe("s3://prices/daily/b.parquet");
  });

  test("a missing object or an empty prefix fails the run naming it; nothing is published", async () => {
    const store = new MemoryObjectStore();
    const missing = run(store, "s3://prices/daily/none.csv");
    await expect(missing).rejects.toBeInstanceOf(PipelineError);
    await expect(missing).rejects.toThrow(/^prices: .*s3:\/\/prices\/daily\/none\.csv/);
    await expect(run(store, "s3://prices/empty/")).rejects.toThrow(
      /^prices: no \.csv or \.parquet object under s3:\/\/prices\/empty\//,
    );
    expect(store.requests.filter((r) => r.startsWith("put"))).toEqual([]);
  });

  test("an object over MAX_PRICE_FILE_BYTES is refused by the limit's name", async () => {
    const store = new MemoryObjectStore();
    store.put("s3://prices/p.csv", pricesCsv());
    const get = store.getIfChanged.bind(store);
    let asked: number | undefined;
    store.getIfChanged = (address, options) => {
      asked = options?.maxBytes;
      return get(address, { ...options, maxBytes: 10 });
    };
    await expect(fetchPrices(store, "s3://prices/p.csv")).rejects.toThrow(/MAX_PRICE_FILE_BYTES/);
    expect(asked).toBe(512 * 1024 * 1024);
  });
});

describe("panels published through the object store", () => {
  test("report, history, features and panel are uploaded, then the pointer naming them by digest", async () => {
    const store = new MemoryObjectStore();
    store.put("s3://prices/p.csv", pricesCsv());
    const summary = await run(store, "s3://prices/p.csv");
    const pointer = pointerOf(store);
    expect(pointer).toMatchObject({
      version: 1,
      as_of: "2026-11-27",
      published_at: "2026-11-28T22:15:00.000Z",
    });
    const puts = store.requests.filter((r) => r.startsWith("put")).map((r) => r.slice(4));
    expect(puts).toEqual([
      `teams/alpha/${storeReportKey("2026-11-27")}`,
      "teams/alpha/expected/history/2026-11-27.parquet",
      `teams/alpha/${pointer.features.key}`,
      `teams/alpha/${pointer.expected.key}`,
      `teams/alpha/${STORE_KEYS.pointer}`,
    ]);
    for (const entry of [pointer.expected, pointer.features]) {
      const bytes = store.bytes(entry.key)!;
      expect([sha256Hex(bytes), bytes.length]).toEqual([entry.sha256, entry.size]);
      expect(entry.key).toContain(entry.sha256);
    }
    expect((await decodeExpectedPanel(store.bytes(pointer.expected.key)!)).asOf).toBe("2026-11-27");
    expect(summary.outputs?.at(-1)).toBe(`s3://maie/teams/alpha/${STORE_KEYS.pointer}`);
  });

  test("the next day reads the previous panel from the store for turnover", async () => {
    const store = new MemoryObjectStore();
    store.put("s3://prices/p.csv", pricesCsv(1));
    await run(store, "s3://prices/p.csv");
    expect(pointerOf(store).as_of).toBe("2026-11-26");
    store.put("s3://prices/p.csv", pricesCsv());
    await run(store, "s3://prices/p.csv");
    expect(pointerOf(store).as_of).toBe("2026-11-27");
    const html = store.bytes(storeReportKey("2026-11-27"))!.toString("utf8");
    expect(html).toContain("Top-quintile turnover");
    expect(html).toContain("<td>2026-11-26</td>");
  });

  test.each([0, 1, 2, 3, 4])(
    "a failure at upload %i leaves the pointer on the previous day, byte for byte",
    async (failAt) => {
      const store = new MemoryObjectStore();
      store.put("s3://prices/p.csv", pricesCsv(1));
      await run(store, "s3://prices/p.csv");
      const before = store.bytes(STORE_KEYS.pointer)!;
      const day1 = pointerOf(store);
      store.put("s3://prices/p.csv", pricesCsv());
      let puts = 0;
      store.fail = (op) =>
        op === "put" && puts++ === failAt ? new ObjectStoreError("unavailable", "injected") : undefined;
      await expect(run(store, "s3://prices/p.csv")).rejects.toThrow(/^write: injected/);
      expect(store.bytes(STORE_KEYS.pointer)!.equals(before)).toBe(true);
      // What the pointer names is still there and intact.
      expect(sha256Hex(store.bytes(day1.expected.key)!)).toBe(day1.expected.sha256);
      expect(sha256Hex(store.bytes(day1.features.key)!)).toBe(day1.features.sha256);
    },
  );

  test("a previous panel that no longer matches its pointer skips turnover and says why", async () => {
    const store = new MemoryObjectStore();
    store.put("s3://prices/p.csv", pricesCsv(1));
    await run(store, "s3://prices/p.csv");
    store.put(pointerOf(store).expected.key, "tampered");
    store.put("s3://prices/p.csv", pricesCsv());
    const lines: string[] = [];
    await run(store, "s3://prices/p.csv", { progress: (l) => lines.push(l) });
    expect(lines.find((l) => l.startsWith("previous panel unreadable"))).toMatch(/sha256/);
    expect(pointerOf(store).as_of).toBe("2026-11-27");
  });
});
