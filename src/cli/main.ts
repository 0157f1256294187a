#!/usr/bin/env node
import { COMMANDS } from "./commands/index.js";
import { UsageError, wantsHelp, type Command } from "./command.js";

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `maie: the MAIE operator, scorer and tools in one CLI

Usage: maie <command> [options]

Commands:
${lines.join("\n")}

Run 'maie <command> --help' for a command's options.
`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(topLevelHelp());
    return name === undefined ? 2 : 0;
  }
  const command: Command | undefined = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`maie: unknown command '${name}'. Run 'maie --help' to list commands.\n`);
    return 2;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (
      err instanceof UsageError ||
      (err instanceof Error && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      process.stderr.write(`maie ${command.name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`maie ${command.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
