import { ENV, envValue, type EnvName } from "../contract/env.js";
import { UsageError } from "../cli/command.js";
import { jobLog, resolveLogFormat, type JobLog } from "./log.js";

/**
 * What the job commands (`maie pipeline run`, `maie backup`, `maie restore`)
 * share: settings from a flag or else the environment, the progress log,
 * the failure record in a JSON log, and the elapsed time for the last line.
 */

/** A flag's value, else the environment variable's (empty counts as unset). */
export function flagOrEnv(
  flag: string | undefined,
  name: EnvName,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return flag ?? envValue(env, name);
}

/** `--data-dir`, else `$MAIE_DATA_DIR`, else the current directory. */
export const dataDirSetting = (flag: string | undefined): string => flagOrEnv(flag, ENV.dataDir) ?? ".";

/** `--backups-dir`, else `$MAIE_BACKUPS_DIR`, else `./backups`. */
export const backupsDirSetting = (flag: string | undefined): string =>
  flagOrEnv(flag, ENV.backupsDir) ?? "backups";

export interface Job {
  readonly log: JobLog;
  /** One progress line. */
  readonly progress: (line: string) => void;
  /**
   * Awaits the job's main work. A failure is logged (a JSON log gets an
   * error record; text leaves the one-line reason to the CLI) and rethrown.
   */
  work<T>(promise: Promise<T>): Promise<T>;
  /** Seconds since the job started, with `digits` decimals. */
  elapsed(digits: number): string;
}

/**
 * Runs a job command: opens its log as `<name>: …` (a bad `--log-format` is
 * a usage error), then `fn`. Exit code and the one-line failure reason are
 * the CLI's, as for every command.
 */
export async function runJob<T>(
  name: string,
  logFormatFlag: string | undefined,
  fn: (job: Job) => Promise<T>,
): Promise<T> {
  let log: JobLog;
  try {
    log = jobLog(name, resolveLogFormat(logFormatFlag));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const started = Date.now();
  return fn({
    log,
    progress: (line) => log.info(line),
    work: (promise) =>
      promise.catch((err: unknown) => {
        log.error(err instanceof Error ? err.message : String(err));
        throw err;
      }),
    elapsed: (digits) => ((Date.now() - started) / 1000).toFixed(digits),
  });
}
