import { parseArgs } from "node:util";
import { resolveArchive, runRestore } from "../../backup/index.js";
import { envValue, RESTORE_ENV } from "../../contract/env.js";
import { jobLog, resolveLogFormat } from "../../pipeline/progress.js";
import { UsageError, type Command } from "../command.js";

export const restoreCommand: Command = {
  name: "restore",
  summary: "Restore models/, expected/ and reports/ from a backup archive, byte-identical",
  usage: `Usage: maie restore [--data-dir DIR] [--backups-dir DIR] [--from PATH|latest] [--force] [--log-format text|json]

Verifies the archive, then restores its files into the data dir with their
original bytes, modes and modification times. Refuses when the data dir holds
newer data (a later panel, or files changed after the archive was made) unless
--force; data it replaces is moved to <data-dir>/.pre-restore-<time>/.
  --data-dir DIR      data volume (default: $${RESTORE_ENV.dataDir}, else .)
  --backups-dir DIR   where 'latest' is looked up (default: $${RESTORE_ENV.backupsDir}, else ./backups)
  --from PATH         archive to restore (default: latest)
  --force             restore over newer data
  --log-format FMT    text or json (default: $${RESTORE_ENV.logFormat}, else text on a terminal, json otherwise)`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        "data-dir": { type: "string" },
        "backups-dir": { type: "string" },
        from: { type: "string" },
        force: { type: "boolean" },
        "log-format": { type: "string" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const env = process.env;
    const backupsDir = values["backups-dir"] ?? envValue(env, RESTORE_ENV.backupsDir) ?? "backups";
    let log;
    try {
      log = jobLog("restore", resolveLogFormat(values["log-format"]));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const started = Date.now();
    const result = await runRestore({
      dataDir: values["data-dir"] ?? envValue(env, RESTORE_ENV.dataDir) ?? ".",
      archive: await resolveArchive(backupsDir, values.from),
      force: values.force === true,
      progress: (line) => log.info(line),
    }).catch((err: unknown) => {
      log.error(err instanceof Error ? err.message : String(err));
      throw err;
    });
    log.info(`done in ${((Date.now() - started) / 1000).toFixed(2)} s from ${result.archive}`);
    return 0;
  },
};
