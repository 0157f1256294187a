import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const maie = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["dist/src/cli/main.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, MAIE_LOG_FORMAT: "text", ...env },
  });
const lastLine = (s: string) => s.trimEnd().split("\n").at(-1)!;

describe("maie backup / maie restore as processes", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "maie-backup-cli-"));
    mkdirSync(join(root, "data/models"), { recursive: true });
    writeFileSync(join(root, "data/models/model.txt"), "model bytes");
    const old = new Date("2026-01-01T00:00:00Z");
    utimesSync(join(root, "data/models/model.txt"), old, old);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test("backup run and verify take their settings from the environment", () => {
    const env = {
      MAIE_DATA_DIR: join(root, "data"),
      MAIE_BACKUPS_DIR: join(root, "backups"),
      MAIE_BACKUP_VERIFY: "true",
    };
    const run = maie(["backup", "run"], env);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("every file matches its SHA-256");
    expect(readdirSync(join(root, "backups"))).toHaveLength(1);
    const summary = JSON.parse(readFileSync(join(root, "data/runs/backup-last.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(summary).toMatchObject({ ok: true, files: 1, verified: true });
    const verify = maie(["backup", "verify", "--archive", "all"], env);
    expect(verify.status).toBe(0);
    expect(lastLine(verify.stderr)).toMatch(/OK, 1 files/);
  });

  test("restore refuses newer data with exit 1 and one line, and --force restores", () => {
    const dirs = ["--data-dir", join(root, "data"), "--backups-dir", join(root, "backups")];
    expect(maie(["backup", "run", ...dirs]).status).toBe(0);
    writeFileSync(join(root, "data/models/model.txt"), "retrained model");
    const refused = maie(["restore", ...dirs]);
    expect(refused.status).toBe(1);
    expect(lastLine(refused.stderr)).toMatch(
      /^maie restore: the data dir holds newer data .*models\/model.txt.*--force/,
    );
    expect(readFileSync(join(root, "data/models/model.txt"), "utf8")).toBe("retrained model");
    const forced = maie(["restore", ...dirs, "--force"]);
    expect(forced.status).toBe(0);
    expect(readFileSync(join(root, "data/models/model.txt"), "utf8")).toBe("model bytes");
  });

  test("bad usage exits 2", () => {
    expect(maie(["backup", "sideways"]).status).toBe(2);
    expect(maie(["backup", "run", "--retention-days", "-3"]).status).toBe(2);
    expect(maie(["restore", "extra"]).status).toBe(2);
  });
});
