/**
 * One copy of each repeated string value across the cached objects. JSON
 * parsing gives every object its own copies of the values its children
 * share (image, label values, env names, probe paths, security settings):
 * at 1000 resources they are most of the operator's heap. The pool is
 * bounded (first come, then no new entries), and values that are unique by
 * nature (uids, resource versions, timestamps) and long ones never enter it.
 */
export const STRING_POOL_ENTRIES = 8192;
export const STRING_POOL_MAX_LENGTH = 128;

const UNIQUE_FIELDS = new Set(["uid", "resourceVersion", "creationTimestamp", "time", "lastTransitionTime"]);

export class StringPool {
  private readonly strings = new Map<string, string>();

  constructor(private readonly maxEntries = STRING_POOL_ENTRIES) {}

  get size(): number {
    return this.strings.size;
  }

  /** The pooled copy of `value`, adding it while there is room. */
  intern(value: string): string {
    if (value.length > STRING_POOL_MAX_LENGTH) return value;
    const pooled = this.strings.get(value);
    if (pooled !== undefined) return pooled;
    if (this.strings.size < this.maxEntries) this.strings.set(value, value);
    return value;
  }

  /** Replaces, in place, every string value of a freshly parsed JSON tree by its pooled copy. */
  internAll<T>(tree: T): T {
    this.walk(tree);
    return tree;
  }

  private walk(node: unknown): void {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i += 1) {
        const v: unknown = node[i];
        if (typeof v === "string") node[i] = this.intern(v);
        else this.walk(v);
      }
    } else if (typeof node === "object" && node !== null) {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const v = record[key];
        if (typeof v === "string") {
          if (!UNIQUE_FIELDS.has(key)) record[key] = this.intern(v);
        } else this.walk(v);
      }
    }
  }
}
