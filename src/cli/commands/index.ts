import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "../command.js";

/**
 * Every `maie` subcommand, loaded only when it runs: `maie operator` then
 * never loads the scorer's WASM core, the pipeline or the S3 SDK (about
 * 8 MiB of heap and 25 MiB of RSS for a process that runs for months).
 * `maie --help` loads them all for their summaries.
 */
export interface CommandEntry {
  readonly name: string;
  load(): Promise<Command>;
}

/**
 * `maie controlplane` is development tooling (a local cluster for the demo
 * and the tests), kept in tools/cluster and out of the runtime image: it is
 * listed when this build has it, i.e. in a checkout, never in the image. The
 * specifier is computed so the compiler does not pull tools/ into src/.
 */
const CONTROLPLANE_MODULE = new URL("../../../tools/cluster/command.js", import.meta.url);

async function loadControlplane(): Promise<Command> {
  const module = (await import(CONTROLPLANE_MODULE.href)) as { controlplaneCommand: Command };
  return module.controlplaneCommand;
}

const entry = (name: string, load: () => Promise<Command>): CommandEntry => ({ name, load });

const BUILT_IN: readonly CommandEntry[] = [
  entry("generate", async () => (await import("./generate.js")).generateCommand),
  entry("operator", async () => (await import("./operator.js")).operatorCommand),
  entry("scorer", async () => (await import("./scorer.js")).scorerCommand),
  entry("features", async () => (await import("./features.js")).featuresCommand),
  entry("pipeline", async () => (await import("./pipeline.js")).pipelineCommand),
  entry("backup", async () => (await import("./backup.js")).backupCommand),
  entry("restore", async () => (await import("./restore.js")).restoreCommand),
  entry("explain", async () => (await import("./explain.js")).explainCommand),
];

/** The commands of this build, in the order `maie --help` lists them. */
export function commandEntries(): CommandEntry[] {
  const [first, ...rest] = BUILT_IN;
  return [
    ...(first === undefined ? [] : [first]),
    ...(existsSync(fileURLToPath(CONTROLPLANE_MODULE)) ? [entry("controlplane", loadControlplane)] : []),
    ...rest,
  ];
}

/** Every command, loaded (help and the docs tests). */
export async function allCommands(): Promise<Command[]> {
  return Promise.all(commandEntries().map((e) => e.load()));
}
