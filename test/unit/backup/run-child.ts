/**
 * Run as a separate process by kill-points.test.ts (with kill-at-op.js
 * preloaded): one `runBackup` at a fixed clock, so the archive name is known
 * and a rerun after the kill gets a later one.
 *
 *   node --import kill-at-op.js run-child.js <dataDir> <backupsDir> <isoTime>
 */
import { runBackup } from "../../../src/backup/index.js";

const [dataDir, backupsDir, at] = process.argv.slice(2) as [string, string, string];
await runBackup({ dataDir, backupsDir, clock: () => new Date(at) });
