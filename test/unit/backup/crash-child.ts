/**
 * Run as a separate process by backup.test.ts: starts a backup and SIGKILLs
 * its own process as soon as the first bytes of the new archive are written.
 *
 *   node crash-child.js <dataDir> <backupsDir> <isoTime>
 */
import { runBackup } from "../../../src/backup/index.js";

const [dataDir, backupsDir, at] = process.argv.slice(2) as [string, string, string];
await runBackup({
  dataDir,
  backupsDir,
  clock: () => new Date(at),
  onBytes: () => process.kill(process.pid, "SIGKILL"),
});
