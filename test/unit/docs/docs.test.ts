import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { buildCrd } from "../../../src/api/crd.js";
import { CRD_DOCS_FILE, renderCrdReference } from "../../../src/api/crd-docs.js";
import { allCommands, commandEntries } from "../../../src/cli/commands/index.js";
import type { Command } from "../../../src/cli/command.js";
import { API_DOCS_FILE, renderApiReference, scorerOpenApiDocument } from "../../../src/scorer/api-docs.js";

/**
 * The docs are checked like code: every relative link in README.md and
 * docs/**\/*.md points at a file that exists (and at a heading that exists,
 * for `#anchor` links into markdown), every `maie <command> [<action>]`
 * shown in them is one the CLI's help lists, and the generated references
 * are current.
 */

const CLI = "dist/src/cli/main.js";

function markdownFiles(): string[] {
  const out = ["README.md"];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) out.push(path);
    }
  };
  walk("docs");
  return out.sort();
}

interface Parsed {
  /** Lines outside fenced code blocks, with inline code removed. */
  readonly prose: { line: number; text: string }[];
  /** Code: fenced block lines and inline code spans. */
  readonly code: { line: number; text: string }[];
  readonly headings: string[];
}

function parseMarkdown(text: string): Parsed {
  const prose: Parsed["prose"] = [];
  const code: Parsed["code"] = [];
  const headings: string[] = [];
  let fence: string | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const fenceMatch = /^\s*(`{3,}|~{3,})/.exec(raw);
    if (fence !== null) {
      if (fenceMatch !== null && fenceMatch[1]!.startsWith(fence)) fence = null;
      else code.push({ line, text: raw });
      return;
    }
    if (fenceMatch !== null) {
      fence = fenceMatch[1]!;
      return;
    }
    const spans = [...raw.matchAll(/(`+)(.+?)\1/g)];
    for (const s of spans) code.push({ line, text: s[2]!.trim() });
    prose.push({ line, text: raw.replace(/(`+)(.+?)\1/g, "CODE") });
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (h !== null) headings.push(h[1]!);
  });
  return { prose, code, headings };
}

/** GitHub's heading anchors: inline markup dropped, lowercased, punctuation removed, spaces to hyphens, -N for repeats. */
function anchorsOf(headings: readonly string[]): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings) {
    const text = h
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]+>/g, "")
      .replace(/`/g, "");
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const FILES = markdownFiles();
const PARSED = new Map(FILES.map((f) => [f, parseMarkdown(readFileSync(f, "utf8"))]));

function anchorsOfFile(path: string): Set<string> {
  const parsed = PARSED.get(path) ?? parseMarkdown(readFileSync(path, "utf8"));
  return anchorsOf(parsed.headings);
}

/** Broken relative links of one markdown file (`text` parsed as if it lived at `file`). */
function brokenLinks(file: string, parsed: Parsed): string[] {
  const broken: string[] = [];
  for (const { line, text } of parsed.prose) {
    for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
      const resolved = pathPart === "" ? file : normalize(join(dirname(file), decodeURIComponent(pathPart)));
      if (relative(".", resolved).startsWith("..")) {
        broken.push(`${file}:${line}: ${target} leaves the repository`);
        continue;
      }
      if (pathPart !== "" && !existsSync(resolved)) {
        broken.push(`${file}:${line}: ${target} (no file ${resolved})`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith(".md")) {
        const anchors = pathPart === "" ? anchorsOf(parsed.headings) : anchorsOfFile(resolved);
        if (!anchors.has(anchor))
          broken.push(`${file}:${line}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
  }
  return broken;
}

/**
 * `maie` at the start of a command in code (start of a code span or line, or after a shell
 * separator); `node dist/src/cli/main.js <command>` is the same CLI. Not `kubectl get maie ...`.
 */
const INVOCATION =
  /(?:^|[;&|(]\s*|\$\s+|\bnpx\s+)(?:maie|node\s+dist\/src\/cli\/main\.js)\s+([a-z][a-z-]*)(?:\s+([a-z][a-z-]*))?/g;

/** Commands shown in `parsed` that the CLI does not have; `usageOf` is `maie <command> --help`. */
function wrongCommands(
  file: string,
  parsed: Parsed,
  commands: ReadonlySet<string>,
  usageOf: (command: string) => string,
): string[] {
  const wrong: string[] = [];
  for (const { line, text } of parsed.code) {
    for (const m of text.trimStart().matchAll(INVOCATION)) {
      const command = m[1]!;
      const action = m[2];
      if (!commands.has(command)) {
        wrong.push(`${file}:${line}: maie ${command} (not in 'maie --help')`);
        continue;
      }
      // A second bare word is an action (`maie backup verify`, `maie generate crd-docs`) when the
      // command's usage takes one there; it must appear in that usage.
      const help = usageOf(command);
      const takesAction = new RegExp(`Usage: maie ${command} (?![\\[-])`).test(help);
      if (action !== undefined && takesAction && !new RegExp(`(^|[\\s|])${action}([\\s|]|$)`, "m").test(help))
        wrong.push(
          `${file}:${line}: maie ${command} ${action} ('${action}' not in 'maie ${command} --help')`,
        );
    }
  }
  return wrong;
}

describe("documentation links", () => {
  test("README.md and docs/ hold the documents the README indexes", () => {
    expect(FILES).toEqual(
      expect.arrayContaining([
        "docs/architecture.md",
        "docs/operations.md",
        "docs/troubleshooting.md",
        "docs/security.md",
        "docs/logging.md",
        CRD_DOCS_FILE,
        API_DOCS_FILE,
      ]),
    );
  });

  test("the anchor rule matches GitHub's on the headings we use", () => {
    expect([
      ...anchorsOf(["Benchmark (`bench/operator`)", "GET /score_expected", "GET /openapi.json", "A", "A"]),
    ]).toEqual(["benchmark-benchoperator", "get-score_expected", "get-openapijson", "a", "a-1"]);
  });

  test("the checker finds missing files, missing headings and links leaving the repository", () => {
    const md = [
      "# Here",
      "[ok](operations.md#first-data) [ok](#here) [ok](https://example.com/x.md#y) `[no](code.md)`",
      "[missing](nope.md) [anchor](operations.md#nope) [self](#nowhere) [out](../../etc/passwd)",
      "```",
      "[in a code block](ignored.md)",
      "```",
    ].join("\n");
    expect(brokenLinks("docs/example.md", parseMarkdown(md)).map((b) => b.split(": ")[1])).toEqual([
      "nope.md (no file docs/nope.md)",
      "operations.md#nope (no heading #nope in docs/operations.md)",
      "#nowhere (no heading #nowhere in docs/example.md)",
      "../../etc/passwd leaves the repository",
    ]);
  });

  test.each(FILES)("every relative link in %s resolves", (file) => {
    expect(brokenLinks(file, PARSED.get(file)!)).toEqual([]);
  });
});

describe("maie commands shown in the docs", () => {
  // One process for the top-level help; each command's `--help` prints exactly its `usage`.
  const topHelp = execFileSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
  const commands = new Set([...topHelp.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((m) => m[1]!));
  let COMMANDS: readonly Command[] = [];
  beforeAll(async () => {
    COMMANDS = await allCommands();
  });
  const usageOf = (name: string): string => COMMANDS.find((c) => c.name === name)?.usage ?? "";

  test("the top-level help lists exactly the commands of the CLI", () => {
    expect([...commands].sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    // Each entry's name is the name of the command it loads.
    expect(commandEntries().map((e) => e.name)).toEqual(COMMANDS.map((c) => c.name));
    expect(execFileSync(process.execPath, [CLI, "generate", "--help"], { encoding: "utf8" })).toBe(
      `${usageOf("generate")}\n`,
    );
  });

  test("the checker finds unknown commands and actions, and ignores kubectl's maie", () => {
    const md = [
      "`maie frobnicate` and `maie backup verify` and `maie backup restore` and `maie scorer --help`",
      "```sh",
      "kubectl get maie alpha && maie generate crd-docs",
      "node dist/src/cli/main.js operatr --help",
      "kubectl describe maie alpha; maie pipeline go",
      "```",
    ].join("\n");
    expect(wrongCommands("x.md", parseMarkdown(md), commands, usageOf).map((w) => w.split(": ")[1])).toEqual([
      "maie frobnicate (not in 'maie --help')",
      "maie backup restore ('restore' not in 'maie backup --help')",
      "maie operatr (not in 'maie --help')",
      "maie pipeline go ('go' not in 'maie pipeline --help')",
    ]);
  });

  test.each(FILES)("every `maie <command>` in %s exists", (file) => {
    expect(wrongCommands(file, PARSED.get(file)!, commands, usageOf)).toEqual([]);
  });
});

describe("generated references", () => {
  test(`${CRD_DOCS_FILE} is current (npm run generate)`, () => {
    expect(readFileSync(CRD_DOCS_FILE, "utf8") === renderCrdReference()).toBe(true);
  });

  test(`${API_DOCS_FILE} is current (npm run generate)`, () => {
    expect(readFileSync(API_DOCS_FILE, "utf8") === renderApiReference()).toBe(true);
  });

  test("the CRD reference has a row for every schema field, every printer column and every CEL rule", () => {
    const text = renderCrdReference();
    const version = buildCrd().spec.versions[0]!;
    const paths: string[] = [];
    const rules: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      paths.push(path);
      const v = node["x-kubernetes-validations"];
      if (Array.isArray(v)) for (const r of v as { message: string }[]) rules.push(r.message);
      const props = node["properties"] as Record<string, Record<string, unknown>> | undefined;
      for (const [name, child] of Object.entries(props ?? {})) walk(child, `${path}.${name}`);
      const items = node["items"] as Record<string, unknown> | undefined;
      if (items?.["properties"] !== undefined) {
        for (const [name, child] of Object.entries(
          items["properties"] as Record<string, Record<string, unknown>>,
        ))
          walk(child, `${path}[].${name}`);
      }
    };
    const root = version.schema.openAPIV3Schema.properties;
    walk(root.spec, "spec");
    walk(root.status, "status");
    expect(paths.length).toBeGreaterThan(100);
    for (const p of paths) expect(text).toContain(`| \`${p}\``);
    expect(rules.length).toBeGreaterThanOrEqual(6);
    for (const r of rules) expect(text).toContain(r.replace(/\|/g, "\\|"));
    for (const c of version.additionalPrinterColumns) expect(text).toContain(`| ${c.name} |`);
  });

  test("the API reference has a section for every operation of the OpenAPI document and every error code", () => {
    const text = renderApiReference();
    const doc = scorerOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths))
      for (const method of Object.keys(item)) {
        operations++;
        expect(text).toContain(`### ${method.toUpperCase()} ${path}\n`);
      }
    expect(operations).toBe(9);
    for (const code of ["unauthorized", "validation_failed", "unknown_ticker", "feature_skew", "not_ready"])
      expect(text).toContain(`| \`${code}\` |`);
  });
});
