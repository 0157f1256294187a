import { posix } from "node:path";
import { backupCommand } from "../../../src/cli/commands/backup.js";
import { featuresCommand } from "../../../src/cli/commands/features.js";
import { pipelineCommand } from "../../../src/cli/commands/pipeline.js";
import { restoreCommand } from "../../../src/cli/commands/restore.js";
import {
  BACKUP_ROOTS,
  BACKUP_SUMMARY,
  DATA_DIRS,
  DATA_MOUNT,
  BACKUPS_MOUNT,
  DEFAULT_MODEL_PATH,
  EXPECTED_LATEST,
  FEATURES_LATEST,
  historyPath,
  PIPELINE_SUMMARY,
  reportPath,
} from "../../../src/contract/data-layout.js";
import { ENV, envValue, PROCESS_ENV } from "../../../src/contract/env.js";
import { MODEL_FORMAT_OPTIONS, MODEL_FORMATS } from "../../../src/contract/model-format.js";

/**
 * The contract tables themselves. That writers and readers agree is the
 * compiler's job (both import these tables); this checks the tables are
 * complete and unambiguous.
 */

describe("environment variables", () => {
  const names = Object.values(ENV);

  test("every name is defined once", () => {
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  test("every process table uses names from ENV only, and every name is read by some process", () => {
    const used = new Set<string>();
    for (const [process, table] of Object.entries(PROCESS_ENV))
      for (const name of Object.values(table)) {
        expect([process, name, names.includes(name)]).toEqual([process, name, true]);
        used.add(name);
      }
    expect(names.filter((n) => !used.has(n))).toEqual([]);
  });

  test("within one process, no two settings share a variable", () => {
    for (const [process, table] of Object.entries(PROCESS_ENV)) {
      const values: string[] = Object.values(table);
      expect([process, values.filter((n, i) => values.indexOf(n) !== i)]).toEqual([process, []]);
    }
  });

  test("each job command's usage names every variable it reads", () => {
    const commands = {
      pipeline: pipelineCommand,
      backup: backupCommand,
      restore: restoreCommand,
      features: featuresCommand,
    } as const;
    for (const [process, command] of Object.entries(commands))
      for (const name of Object.values(PROCESS_ENV[process as keyof typeof commands]))
        expect([process, name, command.usage.includes(`$${name}`)]).toEqual([process, name, true]);
  });

  test("an empty value counts as unset", () => {
    expect(envValue({ [ENV.dataDir]: "" }, ENV.dataDir)).toBeUndefined();
    expect(envValue({}, ENV.dataDir)).toBeUndefined();
    expect(envValue({ [ENV.dataDir]: "/d" }, ENV.dataDir)).toBe("/d");
  });
});

describe("data-volume layout", () => {
  const files = [
    DEFAULT_MODEL_PATH,
    EXPECTED_LATEST,
    FEATURES_LATEST,
    historyPath("2026-11-27"),
    reportPath("2026-11-27"),
    PIPELINE_SUMMARY,
    BACKUP_SUMMARY,
  ];

  test("every path is relative, normalised and inside one of the data folders", () => {
    const dirs: string[] = Object.values(DATA_DIRS);
    for (const p of [...dirs, ...files]) {
      expect([p, posix.isAbsolute(p), posix.normalize(p) === p]).toEqual([p, false, true]);
      expect([p, dirs.some((d) => p === d || p.startsWith(`${d}/`))]).toEqual([p, true]);
    }
    expect(new Set(files).size).toBe(files.length);
  });

  test("mounts are absolute and distinct; backups hold data folders", () => {
    expect([posix.isAbsolute(DATA_MOUNT), posix.isAbsolute(BACKUPS_MOUNT)]).toEqual([true, true]);
    expect(DATA_MOUNT).not.toBe(BACKUPS_MOUNT);
    for (const root of BACKUP_ROOTS) expect(Object.values(DATA_DIRS)).toContain(root);
  });
});

describe("model formats", () => {
  test("the options are the formats plus auto", () => {
    expect(MODEL_FORMAT_OPTIONS).toEqual([...MODEL_FORMATS, "auto"]);
  });
});
