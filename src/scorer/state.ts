import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { Logger } from "pino";
import { BACKUP_SUMMARY, PIPELINE_SUMMARY } from "../contract/data-layout.js";
import { dataPath, defaultComputeWorkers, type ScorerConfig } from "./config.js";
import { inProcessCompute, type Compute } from "./compute/compute.js";
import { WorkerPool } from "./compute/pool.js";
import type { ScorerMetrics } from "./metrics.js";
import { WatchedFile, type Lease, type Loaded } from "./reload.js";
import { UriSource } from "./uri-source.js";
import { PanelPointerFollower, PointedSource, type PanelKind } from "./panel-source.js";
import { Watched, type WatchedOptions } from "./watched.js";
import type { PanelObjectStore } from "../panel-store/store.js";
import type { ModelFetch } from "../model-source/fetch.js";
import type { UriModelSource } from "../model-source/source.js";
import { registryVersionRef } from "../model-source/registry-uri.js";
import { LIMITS } from "../models/errors.js";
import { disposeServedModel, loadServedModel, type ServedModel } from "./served-model.js";
import type { ExpectedPanel, FeatureMatrix, ScorerSources } from "./sources.js";

/**
 * What the scorer serves: the model, the expected panel and the stored
 * features, each a watched file swapped atomically, plus what is derived
 * from them (feature alignment, skew) and readiness.
 */

/** Where each model feature comes from in a feature source, or the names it lacks. */
export interface Alignment {
  /** For model feature j, the column index in the source. Empty when `missing` is not. */
  readonly columns: Int32Array;
  readonly missing: readonly string[];
}

export function alignFeatures(modelNames: readonly string[], sourceNames: readonly string[]): Alignment {
  const index = new Map(sourceNames.map((n, i) => [n, i]));
  const missing = modelNames.filter((n) => !index.has(n));
  if (missing.length > 0) return { columns: new Int32Array(0), missing };
  return { columns: Int32Array.from(modelNames, (n) => index.get(n)!), missing };
}

export interface Readiness {
  readonly ready: boolean;
  readonly reason: string | null;
}

/** Worker threads when the sources name a kernel and the config asks for any; else the main thread. */
export function createCompute(config: ScorerConfig, sources: ScorerSources, log: Logger): Compute {
  const size = config.computeWorkers ?? defaultComputeWorkers(availableParallelism());
  if (sources.kernelModule === undefined || size === 0) return inProcessCompute(sources.features);
  return new WorkerPool({
    size,
    queueLimit: config.computeQueueLimit,
    kernelModule: sources.kernelModule,
    log,
  });
}

export class ScorerState {
  /** A file on the data volume, or an object behind config.modelUri. */
  readonly model: Watched<ServedModel>;
  /** Why the newest model did not load (the served one, if any, stays); null after a good load. */
  modelError: string | null = null;
  readonly compute: Compute;
  /** Files on the data volume, or what the object store's pointer names (config.panelStore). */
  readonly expected: Watched<ExpectedPanel>;
  readonly features: Watched<FeatureMatrix>;
  /** Why the newest panel of each kind was not loaded (the served one, if any, stays); null once current. */
  readonly panelErrors: Record<PanelKind, string | null> = { expected: null, features: null };
  draining = false;
  /** Bumped on every swap: caches compare it to know they are stale. */
  generation = 0;
  #builderAlignment: Alignment | null = null;
  #panelAlignment: Alignment | null = null;
  #runsPoll: NodeJS.Timeout | null = null;
  readonly #onSwap = new Set<() => void>();

  constructor(
    readonly config: ScorerConfig,
    readonly sources: ScorerSources,
    readonly metrics: ScorerMetrics,
    readonly log: Logger,
  ) {
    const pollMs = config.watchPollMs;
    this.compute = createCompute(config, sources, log);
    const modelOptions: WatchedOptions<ServedModel> = {
      pollMs,
      load: (bytes) => loadServedModel(bytes, config.modelFormat, sources.loadModel, this.compute),
      dispose: disposeServedModel,
      onSwap: (next) => {
        const m = next.value.model;
        metrics.setModel({
          format: m.format,
          sha256: next.sha256,
          trees: m.numTrees,
          features: m.featureNames.length,
        });
        log.info(
          {
            path: this.model.path,
            sha256: next.sha256,
            trees: m.numTrees,
            format: m.format,
            ...(next.origin?.registry !== undefined && { registry: next.origin.registry }),
          },
          "model loaded",
        );
        this.modelError = null;
        this.#changed();
      },
      onFailure: (err, sha256, origin) => {
        // A registered version that does not load is named: the fetch's own errors name it already.
        const version = origin?.registry !== undefined ? `${registryVersionRef(origin.registry)}: ` : "";
        this.modelError = `${version}${errMessage(err)}`;
        metrics.modelReloadFailures.inc();
        log.error(
          {
            path: this.model.path,
            sha256,
            ...(origin?.registry !== undefined && { registry: origin.registry }),
            err: errMessage(err),
            serving: this.model.current?.sha256 ?? null,
          },
          "model file rejected; keeping the last good model",
        );
      },
      onMissing: () => log.warn({ path: this.model.path }, "model file not found"),
      onCurrent: () => (this.modelError = null),
    };
    const uri = uriSourceOf(config);
    this.model =
      uri === undefined
        ? new WatchedFile<ServedModel>({
            ...modelOptions,
            path: dataPath(config, config.modelPath),
            maxBytes: LIMITS.maxModelBytes,
            maxBytesName: "LIMITS.maxModelBytes",
          })
        : new Watched<ServedModel>(new UriSource(uri, (sources.modelFetcher ?? noFetcher)(uri)), {
            ...modelOptions,
            pollMs: config.modelPollSeconds * 1000,
          });
    const panels = panelSources(config, sources);
    const panelOptions = (kind: PanelKind) =>
      ({
        pollMs: panels === null ? pollMs : config.panelPollSeconds * 1000,
        onCurrent: () => (this.panelErrors[kind] = null),
      }) as const;
    const watchPanel = <T>(kind: PanelKind, path: string, options: WatchedOptions<T>): Watched<T> =>
      panels === null
        ? new WatchedFile<T>({ ...options, path: dataPath(config, path) })
        : new Watched<T>(panels[kind], options);
    this.expected = watchPanel<ExpectedPanel>("expected", config.expectedPath, {
      ...panelOptions("expected"),
      load: sources.loadExpected,
      onSwap: (next) => {
        this.panelErrors.expected = null;
        metrics.setExpected(next.mtimeMs / 1000, next.value.alpha.values());
        // Published through the store, the panel's publish time is the pipeline's last success.
        if (panels !== null) metrics.setPipelineLastSuccess(next.mtimeMs / 1000);
        log.info(
          { path: this.expected.path, as_of: next.value.asOf, tickers: next.value.alpha.size },
          "panel loaded",
        );
        this.#changed();
      },
      onFailure: (err, sha256) => {
        this.panelErrors.expected = errMessage(err);
        metrics.modelReloadFailures.inc();
        metrics.panelReloadFailures.inc({ file: "expected" });
        log.error(
          { path: this.expected.path, sha256, err: errMessage(err) },
          "expected panel rejected; keeping the last good one",
        );
      },
      onMissing: () => log.warn({ path: this.expected.path }, "expected panel not found"),
    });
    this.features = watchPanel<FeatureMatrix>("features", config.featuresPath, {
      ...panelOptions("features"),
      load: sources.loadFeatures,
      onSwap: (next) => {
        this.panelErrors.features = null;
        log.info(
          {
            path: this.features.path,
            tickers: next.value.tickers.length,
            features: next.value.featureNames.length,
          },
          "features panel loaded",
        );
        this.#changed();
      },
      onFailure: (err, sha256) => {
        this.panelErrors.features = errMessage(err);
        metrics.modelReloadFailures.inc();
        metrics.panelReloadFailures.inc({ file: "features" });
        log.error(
          { path: this.features.path, sha256, err: errMessage(err) },
          "features panel rejected; keeping the last good one",
        );
      },
      onMissing: () => log.warn({ path: this.features.path }, "features panel not found"),
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.model.start(), this.expected.start(), this.features.start()]);
    await this.refreshRunSummaries();
    this.#runsPoll = setInterval(
      () => void this.refreshRunSummaries(),
      Math.max(this.config.watchPollMs, 1000),
    );
    this.#runsPoll.unref();
  }

  /** Stops watching; the compute stops separately (`closeCompute`), after in-flight requests. */
  close(): void {
    if (this.#runsPoll !== null) clearInterval(this.#runsPoll);
    this.model.close();
    this.expected.close();
    this.features.close();
  }

  closeCompute(): Promise<void> {
    return this.compute.close();
  }

  /** Registers a callback run after any swap (cache invalidation). */
  onSwap(fn: () => void): void {
    this.#onSwap.add(fn);
  }

  readiness(): Readiness {
    if (this.draining) return { ready: false, reason: "shutting down" };
    if (this.expected.current === null) {
      const why = this.panelErrors.expected === null ? "" : `: ${this.panelErrors.expected}`;
      return { ready: false, reason: `expected panel not loaded (${this.expected.path})${why}` };
    }
    if (this.config.readinessRequiresModel && this.model.current === null)
      return { ready: false, reason: `model not loaded (${this.model.path})` };
    return { ready: true, reason: null };
  }

  /** Alignment of the model to the feature builder (for posted prices). */
  builderAlignment(): Alignment | null {
    return this.#builderAlignment;
  }

  /** Alignment of the model to the stored features panel. */
  panelAlignment(): Alignment | null {
    return this.#panelAlignment;
  }

  acquireModel(): Lease<ServedModel> | null {
    return this.model.acquire();
  }

  currentModel(): Loaded<ServedModel> | null {
    return this.model.current;
  }

  async refreshRunSummaries(): Promise<void> {
    const read = async (file: string): Promise<number | null> => {
      try {
        return lastSuccessSeconds(JSON.parse(await readFile(dataPath(this.config, file), "utf8")));
      } catch {
        return null;
      }
    };
    const [pipeline, backup] = await Promise.all([read(PIPELINE_SUMMARY), read(BACKUP_SUMMARY)]);
    if (pipeline !== null) this.metrics.setPipelineLastSuccess(pipeline);
    if (backup !== null) this.metrics.setBackupLastSuccess(backup);
  }

  #changed(): void {
    this.generation++;
    const model = this.model.current?.value.model ?? null;
    const features = this.features.current?.value ?? null;
    const before = [this.#builderAlignment?.missing.length ?? 0, this.#panelAlignment?.missing.length ?? 0];
    this.#builderAlignment =
      model === null ? null : alignFeatures(model.featureNames, this.sources.features.featureNames);
    this.#panelAlignment =
      model === null || features === null ? null : alignFeatures(model.featureNames, features.featureNames);
    for (const [which, alignment, was] of [
      ["feature set " + this.sources.features.version, this.#builderAlignment, before[0]],
      ["features panel", this.#panelAlignment, before[1]],
    ] as const) {
      if (alignment !== null && alignment.missing.length > 0) {
        this.metrics.featureSkew.inc();
        this.log.error(
          {
            missing: alignment.missing.slice(0, 20),
            missingCount: alignment.missing.length,
            source: which,
            previouslyMissing: was,
          },
          `feature skew: the model needs features the ${which} does not provide`,
        );
      }
    }
    for (const fn of this.#onSwap) fn();
  }
}

/**
 * The last-success time from a run summary. Accepts the fields a summary is
 * likely to carry: `lastSuccess`/`last_success`/`finishedAt` (ISO or epoch
 * seconds), counted only when `ok`/`status` does not say it failed.
 */
export function lastSuccessSeconds(summary: unknown): number | null {
  if (typeof summary !== "object" || summary === null) return null;
  const s = summary as Record<string, unknown>;
  for (const key of ["lastSuccess", "last_success", "lastSuccessAt", "last_success_at"]) {
    const t = toSeconds(s[key]);
    if (t !== null) return t;
  }
  const failed =
    s.ok === false || (typeof s.status === "string" && !/^(ok|success|succeeded)$/i.test(s.status));
  if (failed) return null;
  for (const key of ["finishedAt", "finished_at", "endedAt", "ended_at", "timestamp"]) {
    const t = toSeconds(s[key]);
    if (t !== null) return t;
  }
  return null;
}

function toSeconds(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return v > 1e12 ? v / 1000 : v;
  if (typeof v === "string") {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t / 1000;
  }
  return null;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function uriSourceOf(config: ScorerConfig): UriModelSource | undefined {
  if (config.modelUri === undefined) return undefined;
  return config.modelSha256 === undefined
    ? { uri: config.modelUri }
    : { uri: config.modelUri, sha256: config.modelSha256 };
}

/**
 * In object-store mode, one pointer follower and a source per panel; null
 * for files on the data volume. Throws (the scorer does not start) when the
 * store is not configured.
 */
function panelSources(config: ScorerConfig, sources: ScorerSources): Record<PanelKind, PointedSource> | null {
  if (config.panelStore !== "object-store") return null;
  const store: PanelObjectStore = (sources.panelStore ?? noPanelStore)();
  const follower = new PanelPointerFollower({ store, reuseMs: (config.panelPollSeconds * 1000) / 2 });
  return {
    expected: new PointedSource(follower, "expected"),
    features: new PointedSource(follower, "features"),
  };
}

const noPanelStore = (): never => {
  throw new Error("panelStore is object-store but no object store is wired");
};

/** Sources without a fetcher (tests of file models) cannot serve a URI model: say so at the first poll. */
const noFetcher =
  (source: UriModelSource): ModelFetch =>
  () =>
    Promise.reject(new Error(`no model fetcher is wired for ${source.uri}`));
