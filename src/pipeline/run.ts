import { registryVersionRef } from "../model-source/registry-uri.js";
import { createHash } from "node:crypto";
import { readdir, stat, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import { DATA_DIRS, DEFAULT_MODEL_PATH, PIPELINE_SUMMARY } from "../contract/data-layout.js";
import { DEFAULT_MODEL_FORMAT, type ModelFormatOption } from "../contract/model-format.js";
import {
  computeFeatures,
  FeatureSkewError,
  FEATURES_V1,
  selectFeatures,
  type FeatureDefinition,
} from "../features/index.js";
import {
  decodeExpectedPanel,
  encodeExpectedPanel,
  encodePanelFeatures,
  type ExpectedPanel,
} from "../panel/index.js";
import { readModelFile } from "../models/load.js";
import type { FetchedModel } from "../model-source/fetch.js";
import { loadPrices, type LoadedPrices } from "../prices/index.js";
import { renderReport } from "../report/index.js";
import type { ExplainableModel, ModelLoader } from "../treeshap/model.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { recordRun } from "../job/summary.js";
import { fileSink, type OutputSink } from "./outputs.js";
import type { PipelineRun, PipelineSummary } from "./summary.js";

export interface PipelineOptions {
  readonly dataDir: string;
  /** Price file or directory. @default `<dataDir>/prices` */
  readonly prices?: string;
  /** Load prices from elsewhere instead (`spec.pipeline.prices.uri`); a failure fails the run. */
  readonly pricesFrom?: { readonly label: string; readonly load: () => Promise<LoadedPrices> };
  /** Model file, relative to dataDir unless absolute. @default DEFAULT_MODEL_PATH */
  readonly modelPath?: string;
  /** Fetch the model from a URI instead of modelPath (`spec.model.uri`); a fetch failure fails the run. */
  readonly modelUri?: { readonly label: string; readonly fetch: () => Promise<FetchedModel> };
  /** @default "auto" */
  readonly modelFormat?: ModelFormatOption;
  readonly loadModel: ModelLoader;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** Progress lines (stderr in the CLI). */
  readonly progress?: (line: string) => void;
  /** The feature definitions to compute. @default FEATURES_V1 (benchmarks pass wider sets) */
  readonly features?: readonly FeatureDefinition[];
  /** Every data write goes through this. @default writeFileAtomic */
  readonly writeFile?: (path: string, data: string | Uint8Array) => Promise<void>;
  /** Where report, history, features and panel go. @default the data dir, through `writeFile` */
  readonly outputs?: OutputSink;
}

/** A step failed; `message` is the one-line reason the CLI prints. */
export class PipelineError extends Error {
  override readonly name = "PipelineError";
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
  }
}

async function step<T>(name: string, timings: Record<string, number>, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PipelineError) throw err;
    throw new PipelineError(name, err instanceof Error ? err.message : String(err));
  } finally {
    timings[name] = Math.round(performance.now() - t0);
  }
}

/** Removes temp files a killed earlier run left behind (`.<name>.<hex>.tmp`, see writeFileAtomic). */
async function sweepTempFiles(dir: string, name = ".+"): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const pattern = new RegExp(`^\\.${name}\\.[0-9a-f]{12}\\.tmp$`);
  const stale = names.filter((n) => pattern.test(n));
  await Promise.all(stale.map((n) => unlink(join(dir, n)).catch(() => undefined)));
  return stale.length;
}

/**
 * Every place a pipeline write can leave a temp file: expected/, its history,
 * each reports/<date>/ and, in runs/, only the pipeline's own summary (the
 * backup writes its summary there too, maybe at this moment). A run killed
 * while writing a report left `.index.html.*.tmp` behind forever before the
 * report folders were swept (found by the kill-point test).
 */
async function sweepPipelineTemps(dataDir: string): Promise<number> {
  let n =
    (await sweepTempFiles(join(dataDir, DATA_DIRS.expected))) +
    (await sweepTempFiles(join(dataDir, DATA_DIRS.history)));
  const reports = await readdir(join(dataDir, DATA_DIRS.reports)).catch(() => [] as string[]);
  for (const date of reports) n += await sweepTempFiles(join(dataDir, DATA_DIRS.reports, date));
  n += await sweepTempFiles(
    dirname(join(dataDir, PIPELINE_SUMMARY)),
    basename(PIPELINE_SUMMARY).replace(/[.]/g, "\\."),
  );
  return n;
}

/**
 * The daily pipeline (design §7b), as numbered steps:
 * 1. load and validate prices; 2. feature set v1 on the latest date;
 * 3. load the model and align its features; 4. score every ticker with a
 * latest price and compute SHAP for all of them in one batch; 5. read the
 * previous panel for turnover; 6. render the report; 7. write report,
 * history, features and finally `expected_latest` (each atomically) to the
 * data dir, or publish them through the object store, the pointer last
 * (`options.outputs`, src/pipeline/outputs.ts); 8. write
 * `runs/pipeline-last.json`.
 *
 * Guarantees: everything is computed in memory before the first write, so
 * a failure in steps 1–6 changes nothing on disk but the run summary; a crash
 * during step 7 leaves `expected_latest.parquet` (or the store's pointer)
 * naming either the previous panel or the new one, never a torn file. The summary records a failure too, with
 * the time of the last success kept.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineSummary> {
  const clock = options.clock ?? (() => new Date());
  const progress = options.progress ?? (() => undefined);
  const write = options.writeFile ?? writeFileAtomic;
  const dataDir = options.dataDir;
  const sink = options.outputs ?? fileSink(dataDir, write);
  const timings: Record<string, number> = {};
  // Disposed once the summary is written, whatever the outcome.
  const held: { model: ExplainableModel | null } = { model: null };
  try {
    return await recordRun<PipelineRun>({
      dataDir,
      file: PIPELINE_SUMMARY,
      clock,
      onFailure: () => ({ stepsMs: timings }),
      run: async () => {
        const swept = await sweepPipelineTemps(dataDir);
        if (swept > 0) progress(`removed ${swept} temp file(s) left by an interrupted run`);

        const { panel, report: priceReport } = await step("prices", timings, () =>
          options.pricesFrom !== undefined
            ? options.pricesFrom.load()
            : loadPrices(options.prices ?? join(dataDir, DATA_DIRS.prices)),
        );
        progress(
          `prices: ${priceReport.tickers} tickers × ${priceReport.dates} dates (${priceReport.firstDate} … ${priceReport.lastDate}) from ${priceReport.source}`,
        );
        if (priceReport.gaps.length > 0)
          progress(
            `prices: ${priceReport.gaps.length} gap(s), e.g. ${priceReport.gaps
              .slice(0, 3)
              .map((g) => `${g.ticker} ${g.from}…${g.to} (${g.missing})`)
              .join(", ")}`,
          );
        if (priceReport.staleTickers.length > 0)
          progress(
            `prices: ${priceReport.staleTickers.length} ticker(s) have no close on ${priceReport.lastDate}, not scored`,
          );

        const all = await step("features", timings, () =>
          computeFeatures(panel, panel.dates.length - 1, options.features ?? FEATURES_V1),
        );
        progress(`features: ${all.featureNames.length} features (set ${all.featureSet}) on ${all.date}`);

        const modelRel = options.modelUri?.label ?? options.modelPath ?? DEFAULT_MODEL_PATH;
        const modelFile = isAbsolute(modelRel) ? modelRel : join(dataDir, modelRel);
        // Refused by size (LIMITS.maxModelBytes) before it is read, from the file or the URI.
        const { bytes: modelBytes, modifiedAt: modelModifiedAt } = await step(
          "model-read",
          timings,
          async () => {
            if (options.modelUri !== undefined) {
              const got = await options.modelUri.fetch();
              const version = got.registry !== undefined ? ` (${registryVersionRef(got.registry)})` : "";
              progress(
                `model: fetched ${got.bytes.byteLength} bytes from ${options.modelUri.label}${version}`,
              );
              return { bytes: got.bytes, modifiedAt: got.lastModified ?? new Date() };
            }
            const bytes = await readModelFile(modelFile);
            return { bytes, modifiedAt: (await stat(modelFile)).mtime };
          },
        );
        const loaded = await step("model", timings, () =>
          options.loadModel(modelBytes, options.modelFormat ?? DEFAULT_MODEL_FORMAT),
        );
        held.model = loaded;
        if (loaded.numOutputs !== 1)
          throw new PipelineError(
            "model",
            `the model has ${loaded.numOutputs} outputs; an alpha model has one`,
          );
        const sha256 = createHash("sha256").update(modelBytes).digest("hex");
        progress(
          `model: ${loaded.format}, ${loaded.numTrees} trees, ${loaded.featureNames.length} features, sha256 ${sha256.slice(0, 12)}`,
        );
        let aligned;
        try {
          aligned = selectFeatures(all, loaded.featureNames);
        } catch (err) {
          if (err instanceof FeatureSkewError) throw new PipelineError("model", err.message);
          throw err;
        }

        // Only tickers with a close on the latest date get a score.
        const stale = new Set(priceReport.staleTickers);
        const rowsIdx = aligned.tickers.flatMap((t, i) => (stale.has(t) ? [] : [i]));
        const nF = aligned.featureNames.length;
        const tickers = aligned.tickers.filter((t) => !stale.has(t));
        const rows = new Float64Array(tickers.length * nF);
        rowsIdx.forEach((i, r) => rows.set(aligned.values.subarray(i * nF, (i + 1) * nF), r * nF));
        if (tickers.length === 0) throw new PipelineError("score", `no ticker has a close on ${all.date}`);
        const alpha = await step("score", timings, () => loaded.predict(rows, tickers.length));
        const bad = alpha.findIndex((a) => !Number.isFinite(a));
        if (bad >= 0) throw new PipelineError("score", `non-finite prediction for ${tickers[bad]}`);
        progress(`score: ${tickers.length} tickers on ${all.date}`);
        const shap = await step("shap", timings, () => loaded.shap(rows, tickers.length));
        progress(`shap: ${tickers.length} × ${nF + 1} values in one batch`);

        const previous = await step("previous", timings, async (): Promise<ExpectedPanel | null> => {
          try {
            const bytes = await sink.previousPanel();
            return bytes === null ? null : await decodeExpectedPanel(bytes);
          } catch (err) {
            progress(
              `previous panel unreadable, turnover skipped: ${err instanceof Error ? err.message : String(err)}`,
            );
            return null;
          }
        });

        const panelOut: ExpectedPanel = { asOf: all.date, tickers, alpha };
        const html = await step("report", timings, () =>
          renderReport({
            asOf: all.date,
            generatedAt: clock().toISOString(),
            featureSet: all.featureSet,
            tickers,
            alpha,
            featureNames: aligned.featureNames,
            featureValues: rows,
            shap,
            previous: previous !== null && previous.asOf !== all.date ? previous : null,
            model: {
              path: modelRel,
              format: loaded.format,
              sha256,
              trees: loaded.numTrees,
              modifiedAt: modelModifiedAt.toISOString(),
            },
            prices: {
              source:
                priceReport.source.startsWith("s3://") ||
                relative(dataDir, priceReport.source).startsWith("..")
                  ? priceReport.source
                  : relative(dataDir, priceReport.source),
              firstDate: priceReport.firstDate,
              lastDate: priceReport.lastDate,
              dates: priceReport.dates,
              gaps: priceReport.gaps.length,
              staleTickers: priceReport.staleTickers,
            },
          }),
        );
        const panelBytes = encodeExpectedPanel(panelOut);
        const featureBytes = encodePanelFeatures({
          asOf: all.date,
          featureSet: all.featureSet,
          tickers: all.tickers,
          featureNames: all.featureNames,
          values: all.values,
        });

        const outputs = await step("write", timings, () =>
          sink.publish({ asOf: all.date, reportHtml: html, panel: panelBytes, features: featureBytes }),
        );
        progress(`wrote ${outputs.join(", ")}`);

        return {
          asOf: all.date,
          featureSet: all.featureSet,
          tickers: all.tickers.length,
          scored: tickers.length,
          skipped: priceReport.staleTickers,
          gaps: priceReport.gaps.length,
          model: { path: modelRel, format: loaded.format, sha256, trees: loaded.numTrees },
          prices: {
            source: priceReport.source,
            firstDate: priceReport.firstDate,
            lastDate: priceReport.lastDate,
          },
          outputs,
          stepsMs: timings,
        };
      },
    });
  } catch (err) {
    throw err instanceof PipelineError
      ? err
      : new PipelineError("pipeline", err instanceof Error ? err.message : String(err));
  } finally {
    held.model?.dispose();
  }
}
