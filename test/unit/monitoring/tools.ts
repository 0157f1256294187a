import { spawnSync } from "node:child_process";
import { binary } from "../../../tools/cluster/paths.js";

/**
 * The real upstream binaries built by tools/build-binaries.sh, through the
 * one lookup (`binary`): a missing binary is a test failure, never a skip,
 * and the message says how to build it.
 */
export function toolPath(name: "promtool" | "promql-inspect" | "helm"): string {
  return binary(name);
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(
  bin: string,
  args: readonly string[],
  opts: { input?: string; cwd?: string } = {},
): RunResult {
  const r = spawnSync(bin, args, {
    input: opts.input,
    cwd: opts.cwd,
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface InspectedSelector {
  readonly metric: string;
  readonly matchers: {
    readonly name: string;
    readonly type: "=" | "!=" | "=~" | "!~";
    readonly value: string;
  }[];
}

export interface Inspected {
  readonly expr: string;
  readonly error?: string;
  readonly metrics: string[];
  readonly selectors: InspectedSelector[];
}

/** Parses expressions with the real Prometheus parser (promql-inspect, same module as promtool). */
export function inspectPromQL(exprs: readonly string[]): Inspected[] {
  const r = run(toolPath("promql-inspect"), [], { input: JSON.stringify(exprs) });
  if (r.status !== 0) throw new Error(`promql-inspect failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Inspected[];
}
