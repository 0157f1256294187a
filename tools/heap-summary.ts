/**
 * What a V8 heap snapshot holds, by group, largest first:
 *
 *   node dist/tools/heap-summary.js FILE.heapsnapshot [--top 15]
 *
 * Groups are (node type, name) as in the Summary view of Chrome DevTools:
 * an "object" by its constructor name, every kind of string as "(strings)",
 * compiled code as "(code)", closures as "(closures)", and the remaining
 * types (arrays, hidden, native, synthetic) as "(type) name". Sizes are self
 * sizes (what each node holds itself, not what it keeps alive): edges are not
 * read, so there are no retained sizes.
 *
 * The whole file is read into one string and JSON.parse'd: that works up to
 * V8's longest string (~512 MiB, checked up front). A snapshot of a few
 * hundred MB needs a bigger heap than node's default:
 *
 *   node --max-old-space-size=4096 dist/tools/heap-summary.js FILE.heapsnapshot
 */
import { constants } from "node:buffer";
import { readFileSync, statSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/** The parts of a .heapsnapshot file the summary reads. */
export interface HeapSnapshot {
  readonly snapshot: {
    readonly meta: {
      /** Field names of one node, e.g. ["type", "name", "id", "self_size", "edge_count", ...]. */
      readonly node_fields: readonly string[];
      /** Per field: a list of enum values (the "type" field) or a kind such as "string" or "number". */
      readonly node_types: readonly (readonly string[] | string)[];
    };
  };
  /** node_fields.length numbers per node. */
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

export interface HeapGroup {
  readonly group: string;
  readonly count: number;
  readonly selfSize: number;
}

export interface HeapSummary {
  /** Largest total self size first. */
  readonly groups: readonly HeapGroup[];
  readonly nodeCount: number;
  readonly totalSize: number;
}

const PLURAL: Readonly<Record<string, string>> = {
  string: "(strings)",
  "concatenated string": "(strings)",
  "sliced string": "(strings)",
  code: "(code)",
  closure: "(closures)",
  number: "(numbers)",
  regexp: "(regexps)",
  symbol: "(symbols)",
  bigint: "(bigints)",
  "object shape": "(object shapes)",
};

/** The group a node of `type` named `name` counts in. */
export function heapGroup(type: string, name: string): string {
  if (type === "object") return name;
  return PLURAL[type] ?? (name === "" ? `(${type})` : `(${type}) ${name}`);
}

/** Sums self sizes by group; pure, so tests hand it a small snapshot object. */
export function summariseHeap(heap: HeapSnapshot): HeapSummary {
  const { node_fields: fields, node_types: types } = heap.snapshot.meta;
  const typeField = fields.indexOf("type");
  const nameField = fields.indexOf("name");
  const sizeField = fields.indexOf("self_size");
  const typeNames = types[typeField];
  if (
    typeField < 0 ||
    nameField < 0 ||
    sizeField < 0 ||
    typeNames === undefined ||
    typeof typeNames === "string"
  )
    throw new Error("not a V8 heap snapshot: node_fields lacks type, name or self_size");
  const width = fields.length;
  if (heap.nodes.length % width !== 0)
    throw new Error(`nodes has ${heap.nodes.length} numbers, not a multiple of ${width} fields`);
  const groups = new Map<string, { count: number; selfSize: number }>();
  let totalSize = 0;
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = typeNames[heap.nodes[i + typeField]!] ?? "(unknown type)";
    const name = heap.strings[heap.nodes[i + nameField]!] ?? "(unknown name)";
    const size = heap.nodes[i + sizeField]!;
    const key = heapGroup(type, name);
    const g = groups.get(key) ?? { count: 0, selfSize: 0 };
    g.count += 1;
    g.selfSize += size;
    groups.set(key, g);
    totalSize += size;
  }
  return {
    groups: [...groups]
      .map(([group, g]) => ({ group, ...g }))
      .sort((a, b) => b.selfSize - a.selfSize || a.group.localeCompare(b.group)),
    nodeCount: heap.nodes.length / width,
    totalSize,
  };
}

/** A markdown table of the `top` largest groups and the total. */
export function formatHeapSummary(summary: HeapSummary, top: number): string {
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
  const share = (bytes: number) =>
    `${summary.totalSize === 0 ? "0.0" : ((100 * bytes) / summary.totalSize).toFixed(1)}%`;
  // Pipes in constructor names would split the row.
  const cell = (s: string) => s.replaceAll("|", "\\|");
  return [
    "| group | count | self size MiB | share of total |",
    "|---|---:|---:|---:|",
    ...summary.groups
      .slice(0, top)
      .map((g) => `| ${cell(g.group)} | ${g.count} | ${mib(g.selfSize)} | ${share(g.selfSize)} |`),
    `| total (${summary.groups.length} groups) | ${summary.nodeCount} | ${mib(summary.totalSize)} | 100.0% |`,
  ].join("\n");
}

function asHeapSnapshot(value: unknown): HeapSnapshot {
  const v = value as Partial<HeapSnapshot> | null;
  if (
    typeof v !== "object" ||
    v === null ||
    !Array.isArray(v.snapshot?.meta.node_fields) ||
    !Array.isArray(v.nodes) ||
    !Array.isArray(v.strings)
  )
    throw new Error("not a V8 heap snapshot (no snapshot.meta.node_fields, nodes or strings)");
  return v as HeapSnapshot;
}

export function readHeapSnapshot(file: string): HeapSnapshot {
  const size = statSync(file).size;
  if (size > constants.MAX_STRING_LENGTH)
    throw new Error(
      `${file} is ${(size / 2 ** 20).toFixed(0)} MiB, more than the longest string V8 can JSON.parse (${(constants.MAX_STRING_LENGTH / 2 ** 20).toFixed(0)} MiB)`,
    );
  return asHeapSnapshot(JSON.parse(readFileSync(file, "utf8")));
}

const USAGE = `Usage: node [--max-old-space-size=4096] dist/tools/heap-summary.js FILE.heapsnapshot [options]

Prints the largest groups of a V8 heap snapshot by total self size.

  --top N     groups to print (default 15)
  --help
`;

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string", default: "15" }, help: { type: "boolean", default: false } },
  });
  const top = Number(values.top);
  if (values.help || positionals.length !== 1 || !Number.isInteger(top) || top < 1) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const file = positionals[0]!;
  process.stdout.write(`${file}\n\n${formatHeapSummary(summariseHeap(readHeapSnapshot(file)), top)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
