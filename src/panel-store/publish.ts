import {
  STORE_KEYS,
  storeFeaturesKey,
  storeHistoryKey,
  storePanelKey,
  storeReportKey,
} from "../contract/object-layout.js";
import { sha256Hex } from "../objectstore/index.js";
import { encodePanelPointer, POINTER_VERSION, type PanelPointer } from "../panel/pointer.js";
import type { PanelObjectStore } from "./store.js";

/**
 * Publishing one day's outputs through the object store. Order is the
 * guarantee: report, history, features and panel first, each a checksummed
 * upload the store verifies, the pointer last. A run that dies or fails
 * before the pointer's PUT leaves the pointer on the previous day; the
 * objects it did upload are named by their content, so they replace
 * nothing a reader uses.
 */

export interface DayOutputs {
  readonly asOf: string;
  readonly reportHtml: string;
  readonly panel: Uint8Array;
  readonly features: Uint8Array;
}

export interface Published {
  readonly pointer: PanelPointer;
  /** s3:// URIs in upload order, the pointer last. */
  readonly uris: readonly string[];
}

export async function publishDay(
  store: PanelObjectStore,
  day: DayOutputs,
  now: () => Date,
): Promise<Published> {
  const panelSha = sha256Hex(day.panel);
  const featuresSha = sha256Hex(day.features);
  const report = new TextEncoder().encode(day.reportHtml);
  const keys = {
    report: storeReportKey(day.asOf),
    history: storeHistoryKey(day.asOf),
    features: storeFeaturesKey(day.asOf, featuresSha),
    panel: storePanelKey(day.asOf, panelSha),
  };
  const parquet = { contentType: "application/vnd.apache.parquet" };
  await store.upload(keys.report, report, { contentType: "text/html; charset=utf-8" });
  await store.upload(keys.history, day.panel, parquet);
  await store.upload(keys.features, day.features, parquet);
  await store.upload(keys.panel, day.panel, parquet);
  const pointer: PanelPointer = {
    version: POINTER_VERSION,
    as_of: day.asOf,
    published_at: now().toISOString(),
    expected: { key: keys.panel, sha256: panelSha, size: day.panel.byteLength },
    features: { key: keys.features, sha256: featuresSha, size: day.features.byteLength },
    history: keys.history,
    report: keys.report,
  };
  await store.upload(STORE_KEYS.pointer, encodePanelPointer(pointer), { contentType: "application/json" });
  return {
    pointer,
    uris: [keys.report, keys.history, keys.features, keys.panel, STORE_KEYS.pointer].map((k) => store.uri(k)),
  };
}
