import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readExpectedLatest } from "../../../src/panel/index.js";

const maie = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["dist/src/cli/main.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, MAIE_LOG_FORMAT: "text", ...env },
  });

describe("maie pipeline run as a process", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "maie-cli-"));
    mkdirSync(join(dir, "prices"));
    mkdirSync(join(dir, "models"));
    copyFileSync("config/samples/data/models/xgboost/model.xgb.json", join(dir, "models", "model.xgb.json"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("reads its settings from the environment, reports gaps and skips a ticker without a latest close", async () => {
    const lines = readFileSync("config/samples/data/prices.csv", "utf8").trimEnd().split("\n");
    // SYN001 (column 2): a two-day gap in the middle and no close on the latest date.
    const edit = (i: number) => {
      const cells = lines[i]!.split(",");
      cells[2] = "";
      lines[i] = cells.join(",");
    };
    [200, 201, lines.length - 1].forEach(edit);
    writeFileSync(join(dir, "prices", "prices.csv"), lines.join("\n") + "\n");
    const run = maie(["pipeline", "run"], { MAIE_DATA_DIR: dir, MAIE_MODEL_PATH: "models/model.xgb.json" });
    expect(run.stderr).toContain("pipeline: prices: 1 gap(s), e.g. SYN001");
    expect(run.stderr).toContain("pipeline: prices: 1 ticker(s) have no close on 2026-11-27, not scored");
    expect(run.status).toBe(0);
    const panel = await readExpectedLatest(dir);
    expect(panel.tickers).toHaveLength(49);
    expect(panel.tickers).not.toContain("SYN001");
    const summary = JSON.parse(readFileSync(join(dir, "runs/pipeline-last.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(summary).toMatchObject({ ok: true, scored: 49, tickers: 50, skipped: ["SYN001"], gaps: 1 });
  });

  test("fails with exit 1 and a one-line reason naming the step", () => {
    const run = maie(["pipeline", "run", "--data-dir", dir, "--model", "models/model.xgb.json"]);
    expect(run.status).toBe(1);
    const last = run.stderr.trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(/^maie pipeline: prices: no \.csv or \.parquet file in /);
  });

  test("logs JSON lines when stderr is not a terminal, the failure included", () => {
    copyFileSync("config/samples/data/prices.csv", join(dir, "prices", "prices.csv"));
    const ok = maie(["pipeline", "run", "--data-dir", dir, "--model", "models/model.xgb.json"], {
      MAIE_LOG_FORMAT: "",
    });
    expect(ok.status).toBe(0);
    const records = ok.stderr
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: number; component: string; msg: string; time: number });
    expect(records.every((r) => r.component === "pipeline" && r.level === 30 && r.time > 0)).toBe(true);
    expect(records.at(-1)!.msg).toMatch(/^done in .* 50 tickers scored as of 2026-11-27$/);
    const failed = maie([
      "pipeline",
      "run",
      "--data-dir",
      dir,
      "--model",
      "models/nope.txt",
      "--log-format",
      "json",
    ]);
    expect(failed.status).toBe(1);
    const lines = failed.stderr.trimEnd().split("\n");
    expect(JSON.parse(lines.at(-2)!)).toMatchObject({ level: 50, component: "pipeline" });
    expect(lines.at(-1)).toMatch(/^maie pipeline: model-read: ENOENT/);
  });

  test("--help documents the command and wrong usage exits 2", () => {
    const help = maie(["pipeline", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: maie pipeline run");
    expect(maie(["pipeline", "walk"]).status).toBe(2);
    expect(maie(["pipeline", "run", "--log-format", "xml"]).status).toBe(2);
  });
});
