import { ENV } from "../contract/env.js";
import { modelFetcher } from "../model-source/fetch.js";
import { ObjectStore, requireObjectStoreEnv } from "../objectstore/index.js";
import { decodeExpectedPanel, decodePanelFeatures } from "../panel/index.js";
import type { ModelLoader } from "../treeshap/model.js";
import { kernel, KERNEL_MODULE } from "./compute/kernel.js";
import { featureSetV1 } from "./feature-set.js";
import type { ExpectedLoader, FeaturesLoader, ScorerSources } from "./sources.js";

/**
 * The real sources: the pipeline's feature set v1 for posted prices
 * (`feature-set.ts`), its Parquet readers for the expected panel and the
 * stored features, and the WASM TreeSHAP core for the model
 * (`loadExplainableModel`, `src/treeshap/model.ts`).
 */

export { featureSetV1 };

export const loadExpectedParquet: ExpectedLoader = async (bytes) => {
  const panel = await decodeExpectedPanel(bytes);
  return { asOf: panel.asOf, alpha: new Map(panel.tickers.map((t, i) => [t, panel.alpha[i]!])) };
};

export const loadFeaturesParquet: FeaturesLoader = async (bytes) => {
  const f = await decodePanelFeatures(bytes);
  return { featureNames: f.featureNames, tickers: f.tickers, values: f.values };
};

/** The real modules with `loadModel` (tests inject a fake model); computed on the main thread. */
export function realSources(loadModel: ModelLoader): ScorerSources {
  return {
    loadModel,
    loadExpected: loadExpectedParquet,
    loadFeatures: loadFeaturesParquet,
    features: featureSetV1,
  };
}

/** What `maie scorer` serves with: the real modules, computed on worker threads running the same kernel. */
export function servingSources(): ScorerSources {
  return {
    ...realSources(kernel.loadModel),
    kernelModule: KERNEL_MODULE,
    modelFetcher: (source) => modelFetcher(source, process.env),
    panelStore: () =>
      new ObjectStore(
        requireObjectStoreEnv(process.env, `${ENV.panelStore}=object-store (panels from the store)`),
      ),
  };
}
