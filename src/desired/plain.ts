import { createHash } from "node:crypto";
import type { KubeObject } from "../kube/object.js";
import { compareText } from "../util/compare-text.js";

/**
 * Small pure helpers shared by the builders: turning typed models into the
 * plain JSON the operator compares and applies, and hashing inputs.
 */

/** JSON values as they appear in an applied object. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * A deep copy of `value` as plain JSON: keys whose value is `undefined` are
 * dropped (server-side apply would otherwise see `null` or the comparison a
 * phantom field), and nothing in the result aliases the input. Fails fast on
 * values JSON cannot carry (functions, Dates, non-finite numbers).
 */
export function toPlain(value: unknown, path = "$"): Json {
  return plainCopy(value, path, false);
}

/** `toPlain`, with each object's keys inserted in `compareText` order when `sorted` (one pass for canonicalJson). */
function plainCopy(value: unknown, path: string, sorted: boolean): Json {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw new Error(`${path}: ${value} is not a finite number`);
      return value;
    case "object": {
      if (Array.isArray(value)) return value.map((v, i) => plainCopy(v, `${path}[${i}]`, sorted));
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new Error(`${path}: only plain objects are allowed in desired state`);
      }
      const out: { [key: string]: Json } = {};
      const entries = Object.entries(value);
      if (sorted) entries.sort(([a], [b]) => compareText(a, b));
      for (const [k, v] of entries) {
        if (v !== undefined) out[k] = plainCopy(v, `${path}.${k}`, sorted);
      }
      return out;
    }
    default:
      throw new Error(`${path}: a ${typeof value} cannot be part of desired state`);
  }
}

/** `toPlain` for a whole object, typed as what the operator applies. */
export function toKubeObject(value: { apiVersion?: string; kind?: string; metadata?: object }): KubeObject {
  return toPlain(value) as unknown as KubeObject;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(plainCopy(value, "$", true));
}

/** Hex sha256 of the canonical JSON of `value`. */
export function sha256Of(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/** `map` when it has entries, otherwise `undefined` (so empty maps are left out of the object). */
export function nonEmpty<V>(map: Record<string, V> | undefined): Record<string, V> | undefined {
  return map !== undefined && Object.keys(map).length > 0 ? map : undefined;
}

/** `list` when it has items, otherwise `undefined`. */
export function nonEmptyList<T>(list: readonly T[] | undefined): T[] | undefined {
  return list !== undefined && list.length > 0 ? [...list] : undefined;
}

/**
 * An object whose shape Kubernetes defines (tolerations, env entries, peers),
 * passed through from the spec as-is: the schema keeps it opaque and the
 * apiserver validates it when the child is applied.
 */
export function passThrough<T>(value: Record<string, unknown>): T {
  return value as unknown as T;
}

/** Copies of the spec's pass-through objects, typed as the Kubernetes models they are. */
export function passThroughList<T>(list: readonly Record<string, unknown>[] | undefined): T[] | undefined {
  return nonEmptyList(list)?.map((o) => passThrough<T>(o));
}
