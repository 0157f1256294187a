import { parseArgs } from "node:util";
import {
  DATA_DIRS,
  DEFAULT_MODEL_PATH,
  DEFAULT_PANEL_STORE,
  EXPECTED_LATEST,
  FEATURES_LATEST,
  historyPath,
  PANEL_STORES,
  PIPELINE_SUMMARY,
  reportPath,
} from "../../contract/data-layout.js";
import { STORE_KEYS } from "../../contract/object-layout.js";
import { PIPELINE_ENV } from "../../contract/env.js";
import { modelFetcher, type FetchedModel } from "../../model-source/fetch.js";
import { ModelSourceError, uriModelSource, type UriModelSource } from "../../model-source/source.js";
import {
  DEFAULT_MODEL_FORMAT,
  MODEL_FORMAT_OPTIONS,
  type ModelFormatOption,
} from "../../contract/model-format.js";
import { dataDirSetting, flagOrEnv, runJob } from "../../job/cli.js";
import { ObjectStore, ObjectStoreError, requireObjectStoreEnv } from "../../objectstore/index.js";
import { storeSink } from "../../pipeline/outputs.js";
import { fetchPrices } from "../../pipeline/prices-uri.js";
import { runPipeline } from "../../pipeline/run.js";
import { loadExplainableModel } from "../../treeshap/model.js";
import { UsageError, type Command } from "../command.js";

export const pipelineCommand: Command = {
  name: "pipeline",
  summary: "Daily pipeline: prices → features → scores + SHAP → expected panel, HTML report, run summary",
  usage: `Usage: maie pipeline run [--data-dir DIR] [--prices PATH | --prices-uri URI] [--panel-store data-volume|object-store]
                         [--model PATH | --model-uri URI [--model-sha256 HEX]] [--model-format FMT] [--log-format text|json]

Reads prices, computes feature set v1 on the latest date, scores every ticker
with the model, computes SHAP for all of them in one batch, and writes
(each atomically, the latest panel last):
  ${reportPath("<date>")}, ${historyPath("<date>")},
  ${FEATURES_LATEST}, ${EXPECTED_LATEST},
  ${PIPELINE_SUMMARY}
With --panel-store object-store, report, history, features and panel are
uploaded to the object store ($MAIE_OBJECT_STORE_*) under ${STORE_KEYS.panels}/ and
its neighbours, and the pointer ${STORE_KEYS.pointer} is written last; only the
run summary goes to the data dir.
Progress goes to stderr; on failure it exits 1 with a one-line reason and the
previous panel (or pointer) is left as it was.
  --data-dir DIR       data volume (default: $${PIPELINE_ENV.dataDir}, else .)
  --prices PATH        price file or directory (default: <data-dir>/${DATA_DIRS.prices})
  --prices-uri URI     prices from s3://<bucket>/<key>, or the newest .csv/.parquet object under
                       s3://<bucket>/<prefix>/ (default: $${PIPELINE_ENV.pricesUri})
  --panel-store WHERE  data-volume or object-store (default: $${PIPELINE_ENV.panelStore}, else ${DEFAULT_PANEL_STORE})
  --model PATH         model file, relative to the data dir (default: $${PIPELINE_ENV.modelPath}, else ${DEFAULT_MODEL_PATH})
  --model-uri URI      fetch the model from s3://<bucket>/<key> (the object store in $MAIE_OBJECT_STORE_*)
                       or https://<host>/<path> instead of --model (default: $${PIPELINE_ENV.modelUri})
  --model-sha256 HEX   refuse a fetched model with another SHA-256 (default: $${PIPELINE_ENV.modelSha256})
  --model-format FMT   lightgbm, xgboost or auto (default: $${PIPELINE_ENV.modelFormat}, else ${DEFAULT_MODEL_FORMAT})
  --log-format FMT     text or json (default: $${PIPELINE_ENV.logFormat}, else text on a terminal, json otherwise)`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        "data-dir": { type: "string" },
        prices: { type: "string" },
        "prices-uri": { type: "string" },
        "panel-store": { type: "string" },
        model: { type: "string" },
        "model-uri": { type: "string" },
        "model-sha256": { type: "string" },
        "model-format": { type: "string" },
        "log-format": { type: "string" },
      },
    });
    if (positionals[0] !== "run" || positionals.length !== 1)
      throw new UsageError("expected exactly one action: run");
    const format = flagOrEnv(values["model-format"], PIPELINE_ENV.modelFormat) ?? DEFAULT_MODEL_FORMAT;
    if (!(MODEL_FORMAT_OPTIONS as readonly string[]).includes(format))
      throw new UsageError(
        `--model-format must be one of ${MODEL_FORMAT_OPTIONS.join(", ")}, not '${format}'`,
      );
    const dataDir = dataDirSetting(values["data-dir"]);
    const panelStore = flagOrEnv(values["panel-store"], PIPELINE_ENV.panelStore) ?? DEFAULT_PANEL_STORE;
    if (!(PANEL_STORES as readonly string[]).includes(panelStore))
      throw new UsageError(`--panel-store must be one of ${PANEL_STORES.join(", ")}, not '${panelStore}'`);
    const pricesUri = flagOrEnv(values["prices-uri"], PIPELINE_ENV.pricesUri);
    if (pricesUri !== undefined && values.prices !== undefined)
      throw new UsageError("--prices and --prices-uri both name the prices: keep one");
    if (pricesUri !== undefined && !PRICES_URI.test(pricesUri))
      throw new UsageError(
        `--prices-uri must be s3://<bucket>/<key> or s3://<bucket>/<prefix>/, not ${JSON.stringify(pricesUri)}`,
      );
    let store: ObjectStore | undefined;
    if (pricesUri !== undefined || panelStore === "object-store") {
      const why = pricesUri !== undefined ? `the prices ${pricesUri}` : "publishing panels (--panel-store)";
      try {
        store = new ObjectStore(requireObjectStoreEnv(process.env, why));
      } catch (err) {
        if (err instanceof ObjectStoreError) throw new UsageError(err.message);
        throw err;
      }
    }
    const modelPath = flagOrEnv(values.model, PIPELINE_ENV.modelPath);
    const uriEnv = {
      ...process.env,
      [PIPELINE_ENV.modelUri]: flagOrEnv(values["model-uri"], PIPELINE_ENV.modelUri),
      [PIPELINE_ENV.modelSha256]: flagOrEnv(values["model-sha256"], PIPELINE_ENV.modelSha256),
    };
    let source;
    try {
      source = uriModelSource(uriEnv);
    } catch (err) {
      if (err instanceof ModelSourceError) throw new UsageError(err.message);
      throw err;
    }
    const modelUri = source === undefined ? undefined : { label: source.uri, fetch: fetchOnce(source) };
    return runJob("pipeline", values["log-format"], async (job) => {
      const summary = await job.work(
        runPipeline({
          dataDir,
          ...(values.prices === undefined ? {} : { prices: values.prices }),
          ...(pricesUri !== undefined &&
            store !== undefined && {
              pricesFrom: { label: pricesUri, load: () => fetchPrices(store, pricesUri) },
            }),
          ...(panelStore === "object-store" &&
            store !== undefined && { outputs: storeSink(store, () => new Date()) }),
          ...(modelPath === undefined ? {} : { modelPath }),
          ...(modelUri === undefined ? {} : { modelUri }),
          modelFormat: format as ModelFormatOption,
          loadModel: loadExplainableModel,
          progress: job.progress,
        }),
      );
      job.progress(`done in ${job.elapsed(1)} s: ${summary.scored} tickers scored as of ${summary.asOf}`);
      return 0;
    });
  },
};

/** An object, or a prefix (ending in '/') whose newest price object is meant. */
const PRICES_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S*$/;

/** One unconditional fetch (the pipeline holds no earlier copy). */
function fetchOnce(source: UriModelSource): () => Promise<FetchedModel> {
  return async () => {
    const got = await modelFetcher(source, process.env)(undefined);
    if (got === "not-modified") throw new Error(`${source.uri} answered 304 to a request without an ETag`);
    return got;
  };
}
