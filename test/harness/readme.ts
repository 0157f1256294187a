import { readFileSync } from "node:fs";
import { runProcess, type ProcessResult } from "./process.js";

/**
 * The README's shell blocks, for tests that run them as printed: a command
 * fixed in the README is then fixed in the test, and a test cannot pass on
 * a private copy of a command the README no longer shows.
 */

export interface ShellBlock {
  /** The nearest heading above the block. */
  readonly heading: string;
  readonly lines: readonly string[];
}

/** Every ```sh block of a markdown text, with the heading it sits under. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  let heading = "";
  let current: string[] | null = null;
  for (const line of markdown.split("\n")) {
    if (current !== null) {
      if (/^```\s*$/.test(line)) {
        blocks.push({ heading, lines: current });
        current = null;
      } else current.push(line);
      continue;
    }
    if (/^```(sh|bash|shell)\s*$/.test(line)) current = [];
    const h = /^#{1,6}\s+(.*?)\s*$/.exec(line);
    if (h !== null) heading = h[1]!;
  }
  return blocks;
}

/** The one README block under `heading` that contains `marker`. */
export function readmeBlock(heading: string, marker: string, file = "README.md"): ShellBlock {
  const found = shellBlocks(readFileSync(file, "utf8")).filter(
    (b) => b.heading === heading && b.lines.some((l) => l.includes(marker)),
  );
  if (found.length !== 1)
    throw new Error(
      `${file}: expected one sh block under "${heading}" containing "${marker}", found ${found.length}`,
    );
  return found[0]!;
}

/**
 * The block's lines minus the ones this environment cannot run, each named
 * with the reason. Every skip must match exactly one line, so an edited
 * README line is run (or fails the test) rather than silently skipped.
 */
export function runnableLines(block: ShellBlock, skips: Readonly<Record<string, string>>): string[] {
  for (const line of Object.keys(skips)) {
    const n = block.lines.filter((l) => l === line).length;
    if (n !== 1) throw new Error(`skip "${line}" matches ${n} line(s) of the "${block.heading}" block`);
  }
  return block.lines.filter((l) => !(l in skips));
}

export type ScriptResult = ProcessResult;

/**
 * Runs lines as one bash script (`set -euo pipefail`, so the first failing
 * command fails it) from the repository root. Background jobs the script
 * starts get SIGTERM when it ends, newest first, and the script waits for
 * each, so a control plane it started has removed its processes before this
 * resolves.
 */
export function runScript(
  lines: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<ScriptResult> {
  const script = [
    "set -euo pipefail",
    // Newest first: the operator stops while the control plane it talks to is still up.
    'trap \'set +e; for p in $(jobs -p | tac); do kill "$p" 2>/dev/null; wait "$p"; done\' EXIT',
    "trap 'exit 143' TERM",
    ...lines,
  ].join("\n");
  return runProcess("bash", ["-c", script], { env, timeoutMs });
}
