import { formatS3Uri, type ObjectStore } from "../objectstore/index.js";
import { loadPricesBytes, MAX_PRICE_FILE_BYTES, PricesError, type LoadedPrices } from "../prices/index.js";

/**
 * Prices from the object store (`spec.pipeline.prices.uri`): one object
 * (`s3://bucket/prices.csv`), or a prefix ending in '/' meaning the newest
 * .csv or .parquet object under it (a daily drop folder). Bounded by the
 * same MAX_PRICE_FILE_BYTES as a file; the object's extension picks the
 * format. Every failure names the URI.
 */

/** Price objects a prefix may hold; other keys under it are ignored. */
export const PRICE_OBJECT_SUFFIXES = [".csv", ".parquet", ".CSV", ".PARQUET"] as const;

export type PriceObjectStore = Pick<ObjectStore, "getIfChanged" | "newestUnder">;

/** The object a prices URI names now: itself, or the newest price object under the prefix. */
export async function resolvePricesObject(store: PriceObjectStore, uri: string): Promise<string> {
  if (!uri.endsWith("/")) return uri;
  const newest = await store.newestUnder(uri, PRICE_OBJECT_SUFFIXES);
  if (newest === undefined)
    throw new PricesError(
      "NOT_FOUND",
      `no .csv or .parquet object under ${uri}: upload the day's prices there`,
    );
  return formatS3Uri(newest.ref);
}

export async function fetchPrices(store: PriceObjectStore, uri: string): Promise<LoadedPrices> {
  const object = await resolvePricesObject(store, uri);
  const got = await store.getIfChanged(object, {
    maxBytes: MAX_PRICE_FILE_BYTES,
    maxBytesName: "MAX_PRICE_FILE_BYTES",
  });
  if (got.kind !== "object") throw new Error(`${object} answered 304 to an unconditional read`);
  return loadPricesBytes(got.bytes, object);
}
