import { parseArgs } from "node:util";
import { describeSource, resolveRestoreSource, restoreFromStore, runRestore } from "../../backup/index.js";
import { OBJECT_STORE_ENV, RESTORE_ENV } from "../../contract/env.js";
import { ObjectStore, parseObjectStoreEnv, requireObjectStoreEnv } from "../../objectstore/index.js";
import { backupsDirSetting, dataDirSetting, runJob } from "../../job/cli.js";
import { UsageError, type Command } from "../command.js";

export const restoreCommand: Command = {
  name: "restore",
  summary: "Restore models/, expected/ and reports/ from a backup archive, byte-identical",
  usage: `Usage: maie restore [--data-dir DIR] [--backups-dir DIR] [--from PATH|s3://BUCKET/KEY|latest] [--force] [--log-format text|json]

Verifies the archive (trusting nothing in it: validated manifest, caps on
files and bytes, regular files and folders only, safe paths, every SHA-256),
then restores its files into the data dir with their original bytes and
modification times, modes masked to 0644 (folders 0755), owned by the user
running restore. Nothing is moved into place unless every file checks out;
see docs/backup-and-recovery.md. Refuses when the data dir holds
newer data (a later panel, or files changed after the archive was made) unless
--force; data it replaces is moved to <data-dir>/.pre-restore-<time>/.
  --data-dir DIR      data volume (default: $${RESTORE_ENV.dataDir}, else .)
  --backups-dir DIR   where 'latest' is looked up (default: $${RESTORE_ENV.backupsDir}, else ./backups)
  --from PATH         archive to restore: a file, an s3:// object (downloaded into
                      <data-dir>/.restore-download-*/ first, bounded by the archive
                      limits), or 'latest' (default): the newest archive in the
                      backups dir or, when an object store is configured
                      ($${OBJECT_STORE_ENV.bucket} …), in its bucket, whichever is newer
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
    const backupsDir = backupsDirSetting(values["backups-dir"]);
    return runJob("restore", values["log-format"], async (job) => {
      const dataDir = dataDirSetting(values["data-dir"]);
      const config =
        values.from?.startsWith("s3://") === true
          ? requireObjectStoreEnv(process.env, `maie restore --from ${values.from}`)
          : parseObjectStoreEnv(process.env);
      const store = config === undefined ? undefined : new ObjectStore(config);
      try {
        const source = await job.work(resolveRestoreSource(backupsDir, values.from, store));
        if (values.from === undefined || values.from === "latest")
          job.progress(`latest: ${describeSource(source)}`);
        const options = { dataDir, force: values.force === true, progress: job.progress };
        const result = await job.work(
          source.kind === "object"
            ? restoreFromStore(source.store, source.ref, options)
            : runRestore({ ...options, archive: describeSource(source) }),
        );
        job.progress(`done in ${job.elapsed(2)} s from ${result.archive}`);
      } finally {
        store?.close();
      }
      return 0;
    });
  },
};
