import { parseArgs } from "node:util";
import {
  listArchives,
  listBucketArchives,
  resolveArchive,
  resolveBucketArchive,
  runBackup,
  verifyArchive,
  verifyBucketArchive,
} from "../../backup/index.js";
import { BACKUP_SUMMARY } from "../../contract/data-layout.js";
import { BACKUP_ENV, envValue, OBJECT_STORE_ENV } from "../../contract/env.js";
import { backupKey, OBJECT_DIRS } from "../../contract/object-layout.js";
import { ObjectStore, parseObjectStoreEnv, requireObjectStoreEnv } from "../../objectstore/index.js";
import { backupsDirSetting, dataDirSetting, flagOrEnv, runJob } from "../../job/cli.js";
import { UsageError, type Command } from "../command.js";

function days(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} must be a positive number of days, not '${text}'`);
  return n;
}

export const backupCommand: Command = {
  name: "backup",
  summary: "Archive models/, expected/ and reports/ with SHA-256 manifests; prune by retention; verify",
  usage: `Usage: maie backup run [--data-dir DIR] [--backups-dir DIR] [--retention-days N] [--reports-retention-days N] [--no-verify] [--log-format text|json]
       maie backup verify [--backups-dir DIR] [--archive PATH|latest|all]
       maie backup verify --from s3://BUCKET/KEY|KEY|latest|all

run     writes <backups-dir>/maie-backup-<UTC time>.tar.gz (manifest.json first,
        then models/, expected/, reports/), atomically; re-reads it and checks
        every file's SHA-256; deletes archives older than --retention-days
        (never the newest) and reports/<date>/ folders older than
        --reports-retention-days; writes <data-dir>/${BACKUP_SUMMARY}.
        With an object store ($${OBJECT_STORE_ENV.bucket} and the other
        $MAIE_OBJECT_STORE_* variables) each verified archive is also uploaded
        to <prefix>/${backupKey("<archive>")} (SHA-256 checked by the store)
        and the bucket's archives get the same retention; a failed upload
        fails the run and keeps the local archive.
verify  re-reads an archive (default: the newest; 'all' for every one) with
        the checks made before any file is put back (validated manifest, caps
        on files and bytes, regular files and folders only, safe paths,
        sizes, SHA-256). Exit 1 on any problem. --from reads from the object
        store instead: an s3:// URI, a key under the prefix, the bucket's
        'latest' or 'all', each downloaded to a temp folder ($TMPDIR).
  --data-dir DIR                data volume (default: $${BACKUP_ENV.dataDir}, else .)
  --backups-dir DIR             backups volume (default: $${BACKUP_ENV.backupsDir}, else ./backups)
  --retention-days N            default: $${BACKUP_ENV.retentionDays}, else 30
  --reports-retention-days N    default: $${BACKUP_ENV.reportsRetentionDays}, else 90
  --no-verify                   skip the re-read (default: verify unless $${BACKUP_ENV.verify}=false)
  --log-format FMT              text or json (default: $${BACKUP_ENV.logFormat}, else text on a terminal, json otherwise)`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        "data-dir": { type: "string" },
        "backups-dir": { type: "string" },
        "retention-days": { type: "string" },
        "reports-retention-days": { type: "string" },
        "no-verify": { type: "boolean" },
        archive: { type: "string" },
        from: { type: "string" },
        "log-format": { type: "string" },
      },
    });
    const backupsDir = backupsDirSetting(values["backups-dir"]);
    return runJob("backup", values["log-format"], async (job) => {
      if (positionals.length !== 1 || (positionals[0] !== "run" && positionals[0] !== "verify"))
        throw new UsageError("expected exactly one action: run or verify");
      if (positionals[0] === "verify" && values.from !== undefined) {
        if (values.archive !== undefined)
          throw new UsageError("give --archive (local) or --from (object store), not both");
        const store = new ObjectStore(requireObjectStoreEnv(process.env, "maie backup verify --from"));
        try {
          const refs =
            values.from === "all"
              ? (await listBucketArchives(store)).map((a) => a.ref)
              : [await resolveBucketArchive(store, values.from)];
          if (refs.length === 0) throw new Error(`no backup archive under ${store.uri(OBJECT_DIRS.backups)}`);
          for (const ref of refs) {
            const v = await job.work(verifyBucketArchive(store, ref));
            job.progress(
              `${v.uri}: OK, ${v.manifest.files.length} files, ${v.manifest.totalBytes} bytes, created ${v.manifest.createdAt}, archive sha256 ${v.sha256}`,
            );
          }
        } finally {
          store.close();
        }
        return 0;
      }
      if (positionals[0] === "verify") {
        const which = values.archive;
        const paths =
          which === "all"
            ? (await listArchives(backupsDir)).map((a) => a.path)
            : [await resolveArchive(backupsDir, which)];
        if (paths.length === 0) throw new Error(`no backup archive in ${backupsDir}`);
        for (const p of paths) {
          const m = await verifyArchive(p);
          job.progress(`${p}: OK, ${m.files.length} files, ${m.totalBytes} bytes, created ${m.createdAt}`);
        }
        return 0;
      }
      const options = {
        dataDir: dataDirSetting(values["data-dir"]),
        backupsDir,
        retentionDays: days(
          "--retention-days",
          flagOrEnv(values["retention-days"], BACKUP_ENV.retentionDays),
          30,
        ),
        reportsRetentionDays: days(
          "--reports-retention-days",
          flagOrEnv(values["reports-retention-days"], BACKUP_ENV.reportsRetentionDays),
          90,
        ),
        verify:
          values["no-verify"] !== true && envValue(process.env, BACKUP_ENV.verify)?.toLowerCase() !== "false",
        progress: job.progress,
      };
      const config = parseObjectStoreEnv(process.env);
      const objectStore = config === undefined ? undefined : new ObjectStore(config);
      try {
        const summary = await job.work(
          runBackup(objectStore === undefined ? options : { ...options, objectStore }),
        );
        const offsite = summary.uploaded == null ? "" : `, uploaded to ${summary.uploaded.uri}`;
        job.progress(
          `done: ${summary.archive} (${summary.files} files, ${summary.archiveBytes} bytes)${offsite}`,
        );
      } finally {
        objectStore?.close();
      }
      return 0;
    });
  },
};
