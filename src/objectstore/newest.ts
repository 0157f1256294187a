/** Choosing "the newest object under a prefix" (prices drops, backups). Pure. */

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

/**
 * The object with the latest LastModified among those whose key ends with one
 * of `suffixes` (all when the list is empty). Ties, common with stores that
 * keep whole seconds, go to the greatest key, so dated names
 * (prices-2026-11-28.csv) decide; the result does not depend on listing order.
 */
export function pickNewest<T extends ListedObject>(
  objects: readonly T[],
  suffixes: readonly string[],
): T | undefined {
  let best: T | undefined;
  for (const o of objects) {
    if (o.key.endsWith("/")) continue; // a "folder" marker, not an object
    if (suffixes.length > 0 && !suffixes.some((s) => o.key.endsWith(s))) continue;
    if (
      best === undefined ||
      o.lastModified.getTime() > best.lastModified.getTime() ||
      (o.lastModified.getTime() === best.lastModified.getTime() && o.key > best.key)
    )
      best = o;
  }
  return best;
}
