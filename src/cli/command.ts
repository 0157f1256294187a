/** A `maie` subcommand: a name, a one-line summary for `maie --help`, its own help text, and a runner. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Resolves to the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/** Raised for wrong usage: main prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}
