#!/usr/bin/env node
import { allCommands, commandEntries } from "./commands/index.js";
import { UsageError, wantsHelp, type Command } from "./command.js";

async function topLevelHelp(): Promise<string> {
  const commands = await allCommands();
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
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
    process.stdout.write(await topLevelHelp());
    return name === undefined ? 2 : 0;
  }
  const command: Command | undefined = await commandEntries()
    .find((c) => c.name === name)
    ?.load();
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
