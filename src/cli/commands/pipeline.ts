import { parseArgs } from "node:util";
import { jobLog, resolveLogFormat } from "../../pipeline/progress.js";
import { runPipeline } from "../../pipeline/run.js";
import { loadWasmModel } from "../../pipeline/wasm-model.js";
import { UsageError, type Command } from "../command.js";

const FORMATS = ["lightgbm", "xgboost", "auto"] as const;
type Format = (typeof FORMATS)[number];

export const pipelineCommand: Command = {
  name: "pipeline",
  summary: "Daily pipeline: prices → features → scores + SHAP → expected panel, HTML report, run summary",
  usage: `Usage: maie pipeline run [--data-dir DIR] [--prices PATH] [--model PATH] [--model-format FMT] [--log-format text|json]

Reads prices, computes feature set v1 on the latest date, scores every ticker
with the model, computes SHAP for all of them in one batch, and writes
(each atomically, the latest panel last):
  reports/<date>/index.html, expected/history/<date>.parquet,
  expected/features_latest.parquet, expected/expected_latest.parquet,
  runs/pipeline-last.json
Progress goes to stderr; on failure it exits 1 with a one-line reason and the
previous panel is left as it was.
  --data-dir DIR       data volume (default: $MAIE_DATA_DIR, else .)
  --prices PATH        price file or directory (default: <data-dir>/prices)
  --model PATH         model file, relative to the data dir (default: $MAIE_MODEL_PATH, else models/model.txt)
  --model-format FMT   lightgbm, xgboost or auto (default: $MAIE_MODEL_FORMAT, else auto)
  --log-format FMT     text or json (default: $MAIE_LOG_FORMAT, else text on a terminal, json otherwise)`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        "data-dir": { type: "string" },
        prices: { type: "string" },
        model: { type: "string" },
        "model-format": { type: "string" },
        "log-format": { type: "string" },
      },
    });
    if (positionals[0] !== "run" || positionals.length !== 1)
      throw new UsageError("expected exactly one action: run");
    const env = process.env;
    const nonEmpty = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
    const format = values["model-format"] ?? nonEmpty(env["MAIE_MODEL_FORMAT"]) ?? "auto";
    if (!(FORMATS as readonly string[]).includes(format))
      throw new UsageError(`--model-format must be one of ${FORMATS.join(", ")}, not '${format}'`);
    const dataDir = values["data-dir"] ?? nonEmpty(env["MAIE_DATA_DIR"]) ?? ".";
    const modelPath = values.model ?? nonEmpty(env["MAIE_MODEL_PATH"]);
    let log;
    try {
      log = jobLog("pipeline", resolveLogFormat(values["log-format"]));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const started = Date.now();
    const summary = await runPipeline({
      dataDir,
      ...(values.prices === undefined ? {} : { prices: values.prices }),
      ...(modelPath === undefined ? {} : { modelPath }),
      modelFormat: format as Format,
      loadModel: loadWasmModel,
      progress: (line) => log.info(line),
    }).catch((err: unknown) => {
      log.error(err instanceof Error ? err.message : String(err));
      throw err;
    });
    log.info(
      `done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary.scored} tickers scored as of ${summary.asOf}`,
    );
    return 0;
  },
};
