import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FEATURE_NAMES_V1 } from "../../../src/features/index.js";
import { decodeExpectedPanel, readExpectedLatest, readFeaturesLatest } from "../../../src/panel/index.js";
import { PIPELINE_SUMMARY, reportPath } from "../../../src/contract/data-layout.js";
import { runPipeline, PipelineError } from "../../../src/pipeline/run.js";
import { readPipelineSummary } from "../../../src/pipeline/summary.js";
import { REPORT_CSP } from "../../../src/report/index.js";
import { linearModel } from "./fake-model.js";
import { tempDirs } from "../../harness/temp-dirs.js";

const SAMPLE_PRICES = "config/samples/data/prices.csv";
const temp = tempDirs("maie-pipeline-");

/** A data dir with the sample prices (optionally without the last `dropDays` rows) and a model file. */
function sampleDataDir(dropDays = 0): string {
  const dir = temp();
  mkdirSync(join(dir, "prices"));
  mkdirSync(join(dir, "models"));
  const lines = readFileSync(SAMPLE_PRICES, "utf8").trimEnd().split("\n");
  writeFileSync(join(dir, "prices", "prices.csv"), lines.slice(0, lines.length - dropDays).join("\n") + "\n");
  writeFileSync(join(dir, "models", "model.txt"), "stand-in model bytes");
  return dir;
}

const clockAt = (iso: string) => () => new Date(iso);
const linear = async () => linearModel(FEATURE_NAMES_V1);

describe("maie pipeline run", () => {
  test("on the sample data writes panel, history, features, report and summary", async () => {
    const dir = sampleDataDir();
    const lines: string[] = [];
    const summary = await runPipeline({
      dataDir: dir,
      loadModel: linear,
      clock: clockAt("2026-11-28T22:15:00Z"),
      progress: (l) => lines.push(l),
    });
    expect(summary).toMatchObject({
      ok: true,
      asOf: "2026-11-27",
      tickers: 50,
      scored: 50,
      featureSet: "v1",
    });
    expect(summary.lastSuccess).toBe("2026-11-28T22:15:00.000Z");
    const panel = await readExpectedLatest(dir);
    expect(panel.asOf).toBe("2026-11-27");
    expect(panel.tickers).toHaveLength(50);
    const history = await decodeExpectedPanel(readFileSync(join(dir, "expected/history/2026-11-27.parquet")));
    expect(Array.from(history.alpha)).toEqual(Array.from(panel.alpha));
    const features = await readFeaturesLatest(dir);
    expect(features.featureNames).toEqual(FEATURE_NAMES_V1);
    expect(features.values.every(Number.isFinite)).toBe(true);
    const html = readFileSync(join(dir, reportPath("2026-11-27")), "utf8");
    expect(html).toContain(REPORT_CSP);
    expect(html.match(/data-chart="waterfall"/g)).toHaveLength(5);
    expect(html).toContain('data-chart="histogram"');
    expect(html).toContain('data-chart="importance"');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(JSON.parse(readFileSync(join(dir, PIPELINE_SUMMARY), "utf8"))).toEqual(summary);
    expect(lines.some((l) => l.startsWith("prices: 50 tickers × 400 dates"))).toBe(true);
  });

  test("a second day reports turnover against the previous panel", async () => {
    const dir = sampleDataDir(1);
    await runPipeline({ dataDir: dir, loadModel: linear, clock: clockAt("2026-11-27T22:15:00Z") });
    expect((await readExpectedLatest(dir)).asOf).toBe("2026-11-26");
    cpSync(SAMPLE_PRICES, join(dir, "prices", "prices.csv"));
    await runPipeline({ dataDir: dir, loadModel: linear, clock: clockAt("2026-11-28T22:15:00Z") });
    const html = readFileSync(join(dir, reportPath("2026-11-27")), "utf8");
    expect(html).toContain("Top-quintile turnover");
    expect(html).toContain("<td>2026-11-26</td>");
    expect(readdirSync(join(dir, "expected/history")).sort()).toEqual([
      "2026-11-26.parquet",
      "2026-11-27.parquet",
    ]);
  });

  test("a model whose features the feature set lacks fails before anything is written", async () => {
    const dir = sampleDataDir();
    await runPipeline({ dataDir: dir, loadModel: linear, clock: clockAt("2026-11-27T22:15:00Z") });
    const before = readFileSync(join(dir, "expected/expected_latest.parquet"));
    const skewed = async () => linearModel([...FEATURE_NAMES_V1, "alpha_magic"]);
    const run = runPipeline({ dataDir: dir, loadModel: skewed, clock: clockAt("2026-11-28T22:15:00Z") });
    await expect(run).rejects.toThrow(PipelineError);
    await expect(run).rejects.toThrow(/^model: .*alpha_magic/);
    expect(readFileSync(join(dir, "expected/expected_latest.parquet"))).toEqual(before);
    const summary = await readPipelineSummary(dir);
    expect(summary).toMatchObject({ ok: false, status: "failed", lastSuccess: "2026-11-27T22:15:00.000Z" });
  });

  test("bad prices fail with the price error as the one-line reason", async () => {
    const dir = sampleDataDir();
    writeFileSync(join(dir, "prices", "prices.csv"), "date,AAA\n2026-01-02,1\n2026-01-01,-3\n");
    await expect(runPipeline({ dataDir: dir, loadModel: linear })).rejects.toThrow(
      /^prices: .*strictly ascending/,
    );
    expect(existsSync(join(dir, "expected"))).toBe(false);
  });

  test("a crash in the middle of the panel write leaves the previous panel intact", async () => {
    const dir = sampleDataDir(1);
    await runPipeline({ dataDir: dir, loadModel: linear });
    const before = readFileSync(join(dir, "expected/expected_latest.parquet"));
    cpSync(SAMPLE_PRICES, join(dir, "prices", "prices.csv"));
    const child = spawnSync(process.execPath, ["dist/test/unit/pipeline/crash-child.js", dir], {
      encoding: "utf8",
    });
    expect(child.signal).toBe("SIGKILL");
    const after = readFileSync(join(dir, "expected/expected_latest.parquet"));
    expect(after).toEqual(before);
    expect((await decodeExpectedPanel(after)).asOf).toBe("2026-11-26");
    expect(readdirSync(join(dir, "expected")).some((n) => n.endsWith(".tmp"))).toBe(true);
    // The next run sweeps the torn temp file and completes.
    const lines: string[] = [];
    await runPipeline({ dataDir: dir, loadModel: linear, progress: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/removed 1 temp file/);
    expect((await readExpectedLatest(dir)).asOf).toBe("2026-11-27");
    expect(readdirSync(join(dir, "expected")).some((n) => n.endsWith(".tmp"))).toBe(false);
  });
});
