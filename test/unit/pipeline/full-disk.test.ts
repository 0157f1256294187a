import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { runNode, smallDisk, type SmallDisk } from "../../harness/small-disk.js";
import { tempDirs } from "../../harness/temp-dirs.js";

/**
 * `maie pipeline run` on a full volume: a real tmpfs when this process may
 * mount one (CI runs as root), else RLIMIT_FSIZE on the child (see
 * small-disk.ts). With the free space set so that each output in turn is
 * the one that does not fit, the run exits 1 with a last line naming the
 * file and the cause, every file of the previous day is byte-identical,
 * no temp file is left, and once space is back the next run succeeds.
 */

const CLI = "dist/src/cli/main.js";
const PRICES = readFileSync("config/samples/data/prices.csv", "utf8").trimEnd().split("\n");
const temp = tempDirs("maie-fulldisk-");
let disk: SmallDisk;

beforeAll(() => {
  disk = smallDisk(8 * 1024 * 1024);
  process.stderr.write(`full-disk: ${disk.note}\n`);
});
afterAll(() => disk.release());

function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== ".filler") out.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

const pipeline = (dir: string, fsize?: number) =>
  runNode([CLI, "pipeline", "run", "--data-dir", dir, "--log-format", "text"], fsize);

/** The previous day's data dir (on normal disk), with the new day's prices in place. */
async function previousDay(): Promise<string> {
  const base = temp();
  mkdirSync(join(base, "prices"));
  mkdirSync(join(base, "models"));
  writeFileSync(join(base, "prices/prices.csv"), PRICES.slice(0, -1).join("\n") + "\n");
  cpSync("config/samples/data/models/lightgbm/model.txt", join(base, "models/model.txt"));
  expect((await pipeline(base)).code).toBe(0);
  writeFileSync(join(base, "prices/prices.csv"), PRICES.join("\n") + "\n");
  return base;
}

/** Checks a failed run: exit 1, a last line naming a file under `dir` and the cause, previous files intact, no temp file. */
function checkFailure(
  dir: string,
  before: Map<string, Buffer>,
  r: { code: number | null; stderr: string },
  cause: RegExp,
): string {
  expect(r.code).toBe(1);
  const last = r.stderr.trimEnd().split("\n").at(-1)!;
  const named = /cannot write (\S+): /.exec(last)?.[1];
  expect({ last, named: named?.startsWith(`${dir}/`), cause: cause.test(last) }).toEqual({
    last,
    named: true,
    cause: true,
  });
  const after = files(dir);
  for (const [rel, bytes] of before) {
    if (rel === "runs/pipeline-last.json") continue;
    expect({ rel, same: after.get(rel)?.equals(bytes) }).toEqual({ rel, same: true });
  }
  // The run summary is either the previous one or a failure that keeps the last success.
  const summary = JSON.parse(after.get("runs/pipeline-last.json")!.toString()) as {
    ok: boolean;
    lastSuccess: string;
  };
  const previous = JSON.parse(before.get("runs/pipeline-last.json")!.toString()) as { lastSuccess: string };
  expect(summary.lastSuccess).toBe(previous.lastSuccess);
  expect([...after.keys()].filter((f) => f.endsWith(".tmp"))).toEqual([]);
  return relative(dir, named!);
}

describe("pipeline on a full volume", () => {
  test("each output in turn fails to fit: exit 1 naming the file, the previous day intact, nothing left behind", async () => {
    const base = await previousDay();
    // A clean run elsewhere gives the sizes of the new outputs, in write order.
    const clean = temp();
    cpSync(base, clean, { recursive: true });
    expect((await pipeline(clean)).code).toBe(0);
    const asOf = (
      JSON.parse(readFileSync(join(clean, "runs/pipeline-last.json"), "utf8")) as { asOf: string }
    ).asOf;
    const order = [
      `reports/${asOf}/index.html`,
      `expected/history/${asOf}.parquet`,
      "expected/features_latest.parquet",
      "expected/expected_latest.parquet",
    ];
    const sizes = order.map((f) => statSync(join(clean, f)).size);

    const failed: string[] = [];
    if (disk.kind === "tmpfs") {
      const page = 4096;
      const pages = (n: number) => Math.ceil(n / page) * page;
      // The panel itself is never the one that fails here: the features file
      // before it replaces an older one at least as large, whose pages come
      // back at the rename. So the three outputs before it take turns.
      for (let i = 0; i < order.length - 1; i++) {
        disk.clear();
        cpSync(base, disk.dir, { recursive: true });
        const before = files(disk.dir);
        // Room for the outputs written before output i, not for output i; an
        // output that replaces an older file gives that file's pages back.
        const old = (f: string) => (before.has(f) ? pages(before.get(f)!.length) : 0);
        disk.fill(
          Math.max(
            0,
            order.slice(0, i).reduce((a, f, j) => a + pages(sizes[j]!) - old(f), 0),
          ),
        );
        const r = await pipeline(disk.dir);
        failed.push(
          checkFailure(disk.dir, before, r, /ENOSPC: no space left on device.*\(the volume is full\)/),
        );
        rmSync(join(disk.dir, ".filler"));
        // Space is back: the next run completes.
        expect((await pipeline(disk.dir)).code).toBe(0);
        expect([...files(disk.dir).keys()].filter((f) => f.endsWith(".tmp"))).toEqual([]);
      }
      expect(failed).toEqual(order.slice(0, -1));
    }
    // RLIMIT_FSIZE (always, and the only check where tmpfs cannot be mounted):
    // a per-file limit under the report's size fails the first write with EFBIG.
    const limited = temp();
    cpSync(base, limited, { recursive: true });
    const before = files(limited);
    const r = await pipeline(limited, 16 * 1024);
    failed.push(
      `${checkFailure(limited, before, r, /EFBIG: file too large.*\(over the file size limit\)/)} (EFBIG)`,
    );
    expect(failed.at(-1)).toBe(`${order[0]} (EFBIG)`);
    expect((await pipeline(limited)).code).toBe(0);
    process.stderr.write(
      `full-disk (${disk.kind}): pipeline failed on ${failed.join(", ")}, previous day intact each time\n`,
    );
    expect(existsSync(join(limited, "expected/expected_latest.parquet"))).toBe(true);
  });
});
