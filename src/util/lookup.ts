/**
 * Lookups that cannot miss by construction (parallel arrays, a key taken
 * from the same map's source): a miss is a broken invariant, so it throws
 * naming what was looked up instead of letting `undefined` flow on.
 */

/** The item at `index` of a list kept in step with another. */
export function itemAt<T>(list: ArrayLike<T>, index: number, what: string): T {
  const item = list[index];
  if (item === undefined) throw new RangeError(`${what}: no item at index ${index} of ${list.length}`);
  return item;
}

/** The value of a key the map was built to hold. */
export function entryOf<K, V>(map: ReadonlyMap<K, V>, key: K, what: string): V {
  const value = map.get(key);
  if (value === undefined) throw new RangeError(`${what}: no entry for ${String(key)}`);
  return value;
}
