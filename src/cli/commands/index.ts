import type { Command } from "../command.js";
import { backupCommand } from "./backup.js";
import { featuresCommand } from "./features.js";
import { generateCommand } from "./generate.js";
import { pipelineCommand } from "./pipeline.js";
import { restoreCommand } from "./restore.js";
import { operatorCommand } from "./operator.js";
import { scorerCommand } from "./scorer.js";

/**
 * `maie controlplane` is development tooling (a local cluster for the demo
 * and the tests), kept in tools/cluster and out of the runtime image: it is
 * listed when this build has it, i.e. in a checkout, never in the image. The
 * specifier is computed so the compiler does not pull tools/ into src/.
 */
async function developmentCommands(): Promise<Command[]> {
  const url = new URL("../../../tools/cluster/command.js", import.meta.url);
  try {
    const module = (await import(url.href)) as { controlplaneCommand?: Command };
    return module.controlplaneCommand === undefined ? [] : [module.controlplaneCommand];
  } catch (err) {
    const missing =
      (err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String(err).includes(url.pathname);
    if (missing) return [];
    throw err;
  }
}

/** Every `maie` subcommand. Each lives in its own module; add it here once it really works. */
export const COMMANDS: readonly Command[] = [
  generateCommand,
  ...(await developmentCommands()),
  operatorCommand,
  scorerCommand,
  featuresCommand,
  pipelineCommand,
  backupCommand,
  restoreCommand,
  (await import("./explain.js")).explainCommand,
];
