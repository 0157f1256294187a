import type { Command } from "../command.js";
import { backupCommand } from "./backup.js";
import { controlplaneCommand } from "./controlplane.js";
import { featuresCommand } from "./features.js";
import { generateCommand } from "./generate.js";
import { pipelineCommand } from "./pipeline.js";
import { restoreCommand } from "./restore.js";
import { operatorCommand } from "./operator.js";
import { scorerCommand } from "./scorer.js";

/** Every `maie` subcommand. Each lives in its own module; add it here once it really works. */
export const COMMANDS: readonly Command[] = [
  generateCommand,
  controlplaneCommand,
  operatorCommand,
  scorerCommand,
  featuresCommand,
  pipelineCommand,
  backupCommand,
  restoreCommand,
  (await import("./explain.js")).explainCommand,
];
