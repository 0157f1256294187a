import { pino } from "pino";
import { ENV, envValue } from "../contract/env.js";

/** How the jobs (`maie pipeline run`, `maie backup`, `maie restore`) log their progress. */
export type LogFormat = "text" | "json";

/**
 * `--log-format`, else `$MAIE_LOG_FORMAT`, else text on a terminal and JSON
 * lines otherwise (a CronJob's pod log, design §6: jobs log JSON).
 */
export function resolveLogFormat(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
  // @types/node says boolean, but isTTY is undefined when stderr is not a terminal.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare
  isTTY: boolean = process.stderr.isTTY === true,
): LogFormat {
  const value = flag ?? envValue(env, ENV.logFormat);
  if (value === undefined) return isTTY ? "text" : "json";
  if (value !== "text" && value !== "json")
    throw new RangeError(`log format must be text or json, not '${value}'`);
  return value;
}

export interface JobLog {
  info(line: string): void;
  error(line: string): void;
}

/** Progress on stderr: `<component>: <line>` as text, or one pino JSON record per line. */
export function jobLog(component: string, format: LogFormat): JobLog {
  if (format === "text")
    return {
      info: (line) => process.stderr.write(`${component}: ${line}\n`),
      // The CLI prints the one-line failure reason itself.
      error: () => undefined,
    };
  const log = pino({ base: { component } }, pino.destination({ fd: 2, sync: true }));
  return { info: (line) => log.info(line), error: (line) => log.error(line) };
}
