import { createHash } from "node:crypto";
import type { DesiredContext } from "../desired/meta.js";

/**
 * Which version of each child a reconcile last saw hold exactly what the
 * resource wants, so the next reconcile of an unchanged resource can skip
 * building, hashing and comparing its children (issue #18: most reconciles
 * are follow-ups to our own writes and idle resyncs, and building the 13
 * children was most of their CPU).
 *
 * Sound because a resourceVersion names one stored state of one object:
 * while the desired state is the same (same fingerprint) and every child is
 * still at the version we applied or judged in sync, nothing can differ.
 * Any other writer, a deletion or a new spec shows as a different version
 * or fingerprint, and the reconcile takes the full path. Only names and
 * versions are kept, a few hundred bytes per resource, never the children.
 */

export interface VerifiedChild {
  readonly kind: string;
  readonly name: string;
  /** The child's resourceVersion when it was seen to hold what we want. */
  readonly resourceVersion: string;
}

interface Entry {
  readonly fingerprint: string;
  readonly children: readonly VerifiedChild[];
}

/** Looks up a child's version as the cache holds it now (undefined when it is not cached). */
export type CachedVersion = (kind: string, name: string) => string | undefined;

export class VerifiedChildren {
  readonly #byResource = new Map<string, Entry>();

  /**
   * The children recorded for `key`, when the resource still wants what it
   * wanted then (`fingerprint`) and each child is still at its recorded
   * version; otherwise undefined, and the reconcile builds and compares.
   */
  unchanged(key: string, fingerprint: string, cached: CachedVersion): readonly VerifiedChild[] | undefined {
    const entry = this.#byResource.get(key);
    if (entry?.fingerprint !== fingerprint) return undefined;
    return entry.children.every((c) => cached(c.kind, c.name) === c.resourceVersion)
      ? entry.children
      : undefined;
  }

  record(key: string, fingerprint: string, children: readonly VerifiedChild[]): void {
    this.#byResource.set(key, { fingerprint, children });
  }

  forget(key: string): void {
    this.#byResource.delete(key);
  }

  get size(): number {
    return this.#byResource.size;
  }
}

/**
 * Everything the desired children are built from (design: a pure function
 * of the resource and the cluster's capabilities): the resource's identity
 * and its parsed spec (not its status, labels or annotations, which no
 * builder reads), plus the whole context. A spec encoded in another key
 * order gives another fingerprint: that only costs one full reconcile.
 */
export function desiredFingerprint(
  resource: {
    readonly metadata: { readonly uid?: string; readonly name: string; readonly namespace?: string };
    readonly spec?: unknown;
  },
  ctx: DesiredContext,
): string {
  const { uid, name, namespace } = resource.metadata;
  return createHash("sha256")
    .update(JSON.stringify([uid ?? null, namespace ?? null, name, resource.spec ?? null, ctx]))
    .digest("base64");
}
