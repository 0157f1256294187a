import type { KubeObject } from "../kube/object.js";

/**
 * Lists that server-side apply cannot take back from another writer.
 *
 * A Service's ports are a map keyed by (port, protocol), but their names
 * must also be unique (a container's ports likewise, keyed by containerPort). When someone edits our port (`kubectl edit`, a PUT:
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

interface ListPath {
  readonly desired: readonly string[];
  readonly live: readonly string[];
}

const CONTAINERS = ["spec", "template", "spec", "containers"];

/** Where such lists are, in the desired and the live object (a container is found by name, not position). */
const EXCLUSIVE_LISTS: Readonly<Record<string, (desired: KubeObject, live: KubeObject) => ListPath[]>> = {
  Service: () => [{ desired: ["spec", "ports"], live: ["spec", "ports"] }],
  Deployment: (desired, live) => {
    const names = (o: KubeObject) =>
      ((at(o, CONTAINERS) as { name: string }[] | undefined) ?? []).map((c) => c.name);
    const liveNames = names(live);
    return names(desired).flatMap((name, i) => {
      const j = liveNames.indexOf(name);
      return j < 0
        ? []
        : [{ desired: [...CONTAINERS, String(i), "ports"], live: [...CONTAINERS, String(j), "ports"] }];
    });
  },
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
  for (const path of lists(desired, live)) {
    const want = at(desired, path.desired);
    const have = at(live, path.live);
    if (want === undefined || JSON.stringify(have) === JSON.stringify(want)) continue;
    ops.push({ op: have === undefined ? "add" : "replace", path: `/${path.live.join("/")}`, value: want });
  }
  if (ops.length === 0) return undefined;
  return [{ op: "test", path: "/metadata/resourceVersion", value: live.metadata.resourceVersion }, ...ops];
}
