import type { ModelFetch } from "../model-source/fetch.js";
import type { UriModelSource } from "../model-source/source.js";
import type { PanelObjectStore } from "../panel-store/store.js";
import type { ModelLoader } from "../treeshap/model.js";

/**
 * The small interfaces the scorer consumes: a model loader (the
 * explainable-model port of `src/treeshap/model.ts`), the expected/features panel (the
 * pipeline's Parquet files behind an adapter) and the feature builder (the
 * pipeline's feature set). Injected, so the server is tested with small
 * fakes and wired to the real modules in one place (`wiring.ts`).
 */

/** A dense row-major matrix with named rows (tickers) and columns (features). */
export interface FeatureMatrix {
  readonly featureNames: readonly string[];
  readonly tickers: readonly string[];
  /** tickers.length × featureNames.length, row-major; NaN for missing. */
  readonly values: Float64Array;
}

/** The expected panel: one date, one alpha per ticker. */
export interface ExpectedPanel {
  /** ISO date (YYYY-MM-DD) of the panel row. */
  readonly asOf: string;
  readonly alpha: ReadonlyMap<string, number>;
}

/** Parses `expected_latest.parquet` bytes; throws on an invalid file. */
export type ExpectedLoader = (bytes: Uint8Array) => Promise<ExpectedPanel>;
/** Parses `features_latest.parquet` bytes; throws on an invalid file. */
export type FeaturesLoader = (bytes: Uint8Array) => Promise<FeatureMatrix>;

/** Thrown by a feature builder when the prices cannot yield features (too short, bad values). */
export class FeatureInputError extends Error {
  override readonly name = "FeatureInputError";
  constructor(
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

/** Closing prices per ticker, oldest first: JSON arrays, or typed-array views on a compute worker. */
export type ClosePrices = Readonly<Record<string, readonly number[] | Float64Array>>;

/** Builds the feature set's values at the last date of each ticker's prices. */
export interface FeatureBuilder {
  readonly version: string;
  readonly featureNames: readonly string[];
  build(prices: ClosePrices): FeatureMatrix;
}

export interface ScorerSources {
  readonly loadModel: ModelLoader;
  readonly loadExpected: ExpectedLoader;
  readonly loadFeatures: FeaturesLoader;
  readonly features: FeatureBuilder;
  /**
   * URL of a module exporting, as `kernel` (`compute/compute.ts`), this same
   * `loadModel` and `features`: the compute workers load it. Without it the
   * per-request compute runs on the main thread.
   */
  readonly kernelModule?: string;
  /** How a model behind a URI is fetched (config.modelUri); the object store settings come with it. */
  readonly modelFetcher?: (source: UriModelSource) => ModelFetch;
  /** The object store panels are published to (config.panelStore "object-store"); throws when it is not configured. */
  readonly panelStore?: () => PanelObjectStore;
}
