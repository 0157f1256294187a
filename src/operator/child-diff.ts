import { canonicalJson } from "../desired/plain.js";

/**
 * "Would applying `desired` change `live`?" answered without a request, for
 * the common case. Desired is a subset of live when every field we set has
 * the same value there; fields added by the apiserver's defaulting or by
 * other field managers are ignored. A "no" is only a maybe: the applier then
 * asks the apiserver with a dry-run apply before writing, so normalisation
 * (quantities such as 0.5 → 500m) never causes a write loop.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (desired === null || desired === undefined) return live === null || live === undefined;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return desired.length === 0 && (live === undefined || live === null);
    if (desired.length !== live.length) return false;
    return desired.every((d, i) => isSubset(d, live[i]));
  }
  if (typeof desired === "object") {
    const entries = Object.entries(desired as Record<string, unknown>);
    if (live === undefined || live === null) return entries.length === 0;
    if (typeof live !== "object" || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return entries.every(([k, v]) => isSubset(v, l[k]));
  }
  return false;
}

/** Deep equality of two API objects, ignoring bookkeeping that changes without a semantic change. */
export function sameObject(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

function strip(o: Record<string, unknown>): Record<string, unknown> {
  const meta = { ...(o["metadata"] as Record<string, unknown> | undefined) };
  delete meta["managedFields"];
  delete meta["resourceVersion"];
  return { ...o, metadata: meta };
}
