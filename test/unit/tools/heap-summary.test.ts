import {
  formatHeapSummary,
  heapGroup,
  summariseHeap,
  type HeapSnapshot,
} from "../../../tools/heap-summary.js";

/**
 * tools/heap-summary.ts groups the nodes of a V8 heap snapshot by type and
 * name and sums their self sizes. A hand-written snapshot in V8's layout
 * (flat `nodes`, names as indices into `strings`) stands in for a real one.
 */

const TYPES = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native"];
const t = (name: string) => TYPES.indexOf(name);
const strings = [
  "",
  "Informer",
  "Object",
  "hello",
  "(object elements)",
  "compiled",
  "reconcile",
  "system / Map",
];
const s = (name: string) => strings.indexOf(name);

// type, name, id, self_size, edge_count: as V8 writes them (edges are not read).
const nodes = [
  [t("object"), s("Informer"), 1, 100, 0],
  [t("object"), s("Informer"), 3, 150, 0],
  [t("object"), s("Object"), 5, 40, 0],
  [t("string"), s("hello"), 7, 32, 0],
  [t("string"), s("reconcile"), 9, 48, 0],
  [t("array"), s("(object elements)"), 11, 64, 0],
  [t("code"), s("compiled"), 13, 500, 0],
  [t("closure"), s("reconcile"), 15, 56, 0],
  [t("hidden"), s("system / Map"), 17, 10, 0],
].flat();

const snapshot: HeapSnapshot = {
  snapshot: {
    meta: {
      node_fields: ["type", "name", "id", "self_size", "edge_count"],
      node_types: [TYPES, "string", "number", "number", "number"],
    },
  },
  nodes,
  strings,
};

test("groups objects by constructor, strings and code together, the rest by type and name", () => {
  const summary = summariseHeap(snapshot);
  expect(summary.nodeCount).toBe(9);
  expect(summary.totalSize).toBe(1000);
  expect(summary.groups).toEqual([
    { group: "(code)", count: 1, selfSize: 500 },
    { group: "Informer", count: 2, selfSize: 250 },
    { group: "(strings)", count: 2, selfSize: 80 },
    { group: "(array) (object elements)", count: 1, selfSize: 64 },
    { group: "(closures)", count: 1, selfSize: 56 },
    { group: "Object", count: 1, selfSize: 40 },
    { group: "(hidden) system / Map", count: 1, selfSize: 10 },
  ]);
});

test("an unnamed node of another type is grouped by its type alone", () => {
  expect(heapGroup("array", "")).toBe("(array)");
  expect(heapGroup("array", "(object properties)")).toBe("(array) (object properties)");
});

test("every kind of string is one group", () => {
  for (const type of ["string", "concatenated string", "sliced string"])
    expect(heapGroup(type, "x")).toBe("(strings)");
});

test("the table shows the top groups, their share and the total", () => {
  const table = formatHeapSummary(summariseHeap(snapshot), 2).split("\n");
  expect(table).toHaveLength(5);
  expect(table[2]).toBe("| (code) | 1 | 0.00 | 50.0% |");
  expect(table[3]).toBe("| Informer | 2 | 0.00 | 25.0% |");
  expect(table[4]).toBe("| total (7 groups) | 9 | 0.00 | 100.0% |");
});

test("a file without the node fields it needs is refused", () => {
  const bad: HeapSnapshot = { ...snapshot, snapshot: { meta: { node_fields: ["id"], node_types: [] } } };
  expect(() => summariseHeap(bad)).toThrow(/not a V8 heap snapshot/);
});
