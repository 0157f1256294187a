import type { KubeObject } from "../kube/object.js";

/**
 * Lists that server-side apply cannot take back from another writer.
 *
 * A Service's ports are a map keyed by (port, protocol), but their names
 * must also be unique. When someone edits our port (`kubectl edit`, a PUT:
 * 8000 → 9000), the edited entry belongs to them under a new key and ours
 * is gone; our forced apply then adds our entry back beside theirs, and the
 * apiserver refuses the result (422, `spec.ports[1].name: Duplicate value:
 * "http"`) on every retry: the child is wedged in ApplyFailed. Force only
 * resolves conflicts on the same key, so the foreign entry must be removed
 * by a plain write first.
 *
 * `reclaimPatch` returns a JSON patch that sets the list to exactly what we
 * want, guarded by the live resourceVersion (a concurrent change makes it
 * fail rather than be overwritten), or undefined when the kind has no such
 * list or the list is already ours.
 */
export const JSON_PATCH = "application/json-patch+json";

type JsonPatchOp =
  { op: "test"; path: string; value: unknown } | { op: "replace" | "add"; path: string; value: unknown };

const EXCLUSIVE_LISTS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  Service: [["spec", "ports"]],
};

function at(obj: unknown, path: readonly string[]): unknown {
  let v = obj;
  for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
  return v;
}

export function reclaimPatch(desired: KubeObject, live: KubeObject): JsonPatchOp[] | undefined {
  const lists = EXCLUSIVE_LISTS[desired.kind];
  if (lists === undefined || live.metadata.resourceVersion === undefined) return undefined;
  const ops: JsonPatchOp[] = [];
  for (const path of lists) {
    const want = at(desired, path);
    if (want === undefined || JSON.stringify(at(live, path)) === JSON.stringify(want)) continue;
    ops.push({
      op: at(live, path) === undefined ? "add" : "replace",
      path: `/${path.join("/")}`,
      value: want,
    });
  }
  if (ops.length === 0) return undefined;
  return [{ op: "test", path: "/metadata/resourceVersion", value: live.metadata.resourceVersion }, ...ops];
}
