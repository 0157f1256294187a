import fc from "fast-check";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import {
  BackupVerifyError,
  unsafePathReason,
  readArchive,
  runRestore,
  verifyArchive,
  type ArchiveLimits,
  type ArchiveSink,
} from "../../../src/backup/index.js";
import { tempDirs } from "../../harness/temp-dirs.js";

/**
 * Restore trusts nothing (issue "Safe by default", item 4). Each run builds a
 * hostile archive by hand (tar headers written here, so the test can lie in
 * ways the tar writer would not), runs `maie restore` over a data volume that
 * already holds data, and expects a BackupVerifyError naming the attack and a
 * data volume byte-identical to before (every entry, its bytes, mode and
 * mtime). `backup verify` must refuse it too, and reading it into a scratch
 * folder must create nothing but regular files and folders inside it.
 */

const tempDir = tempDirs();

type EntryType = "File" | "Directory" | "SymbolicLink" | "Link" | "CharacterDevice" | "BlockDevice" | "FIFO";
interface Entry {
  path: string;
  type?: EntryType;
  mode?: number;
  body?: Buffer;
  /** Header size, when it differs from the body (only with an empty body: a bomb of zeros). */
  zeros?: number;
  linkpath?: string;
}
interface FileSpec {
  path: string;
  size: number;
  sha256: string;
  mtime: string;
  mode: number;
}

const MTIME = new Date("2026-11-27T22:20:00Z");
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function header(e: Entry, size: number): Buffer {
  const h = new Header({
    path: e.path,
    mode: e.mode ?? (e.type === "Directory" ? 0o755 : 0o644),
    size,
    type: e.type ?? "File",
    mtime: MTIME,
    uid: 0,
    gid: 0,
    ...(e.linkpath === undefined ? {} : { linkpath: e.linkpath }),
  });
  const block = Buffer.alloc(512);
  h.encode(block);
  return block;
}

/** A gzip tar of `entries`, then `trailingZeros` bytes of zeros after the end blocks. */
function tarGz(entries: readonly Entry[], trailingZeros = 0): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.body ?? Buffer.alloc(0);
    const size = e.zeros ?? body.length;
    parts.push(header(e, size));
    if (e.zeros !== undefined) parts.push(Buffer.alloc(Math.ceil(size / 512) * 512));
    else parts.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024), Buffer.alloc(trailingZeros));
  return gzipSync(Buffer.concat(parts), { level: 1 });
}

const FILES: Record<string, Buffer> = {
  "models/model.txt": Buffer.from("tree\nversion=v4\n" + "x".repeat(3000)),
  "models/model.json": Buffer.from('{"format":"lightgbm"}\n'),
  "expected/expected_latest.parquet": Buffer.from("PAR1-not-really"),
  "reports/2026-11-27/index.html": Buffer.from("<html>27</html>"),
};

function spec(path: string, body: Buffer, mode = 0o644): FileSpec {
  return { path, size: body.length, sha256: sha(body), mtime: MTIME.toISOString(), mode };
}

/** A valid archive's parts: the manifest's files, the folders and the file entries. */
function base() {
  const files = Object.entries(FILES).map(([p, b]) => spec(p, b));
  const folders = ["models", "expected", "reports", "reports/2026-11-27"];
  const entries: Entry[] = [
    ...folders.map((p) => ({ path: `${p}/`, type: "Directory" as const })),
    ...Object.entries(FILES).map(([path, body]) => ({ path, body })),
  ];
  return { files, entries };
}

function manifestEntry(files: readonly FileSpec[], patch: Record<string, unknown> = {}): Entry {
  const manifest = {
    version: 1,
    createdAt: "2026-11-27T23:00:00.000Z",
    panelAsOf: null,
    roots: ["models", "expected", "reports"],
    files,
    totalBytes: files.reduce((s, f) => s + f.size, 0),
    ...patch,
  };
  return { path: "manifest.json", body: Buffer.from(JSON.stringify(manifest)) };
}

interface Attack {
  readonly name: string;
  /** What the error must say. */
  readonly error: RegExp;
  readonly archive: (pick: number) => Buffer;
  readonly limits?: Partial<ArchiveLimits>;
}

const ESCAPES = [
  "../evil.txt",
  "models/../../evil.txt",
  "/tmp/maie-evil.txt",
  "models/a\\b.txt",
  "models/./x.txt",
  "runs/evil.json",
];
const SPECIAL: EntryType[] = ["SymbolicLink", "Link", "CharacterDevice", "BlockDevice", "FIFO"];
const nth = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;

/** An archive whose manifest lists `extra` (as an empty file) and holds `entry` under that name. */
function withEntry(entry: Entry, listed = true): Buffer {
  const b = base();
  const files = listed ? [...b.files, spec(entry.path, Buffer.alloc(0))] : b.files;
  return tarGz([manifestEntry(files), ...b.entries, entry]);
}

const ATTACKS: readonly Attack[] = [
  {
    name: "link or special file",
    error: /(SymbolicLink|Link|CharacterDevice|BlockDevice|FIFO) entry refused/,
    archive: (i) => {
      const type = nth(SPECIAL, i);
      return withEntry({
        path: "models/special",
        type,
        ...(type === "SymbolicLink" || type === "Link"
          ? { linkpath: nth(["/etc/passwd", "models/model.txt", "../../outside"], i) }
          : {}),
      });
    },
  },
  {
    name: "symlink in place of a listed file",
    error: /models\/model\.txt": SymbolicLink entry refused/,
    archive: () => {
      const b = base();
      const entries = b.entries.map((e) =>
        e.path === "models/model.txt"
          ? { path: e.path, type: "SymbolicLink" as const, linkpath: "/etc/shadow" }
          : e,
      );
      return tarGz([manifestEntry(b.files), ...entries]);
    },
  },
  {
    name: "setuid mode in the manifest",
    error: /setuid/,
    archive: (i) => {
      const b = base();
      const files = b.files.map((f, k) =>
        k === i % b.files.length ? { ...f, mode: 0o4755 | (i & 0o3000) } : f,
      );
      return tarGz([manifestEntry(files), ...b.entries]);
    },
  },
  {
    name: "setuid mode in a tar header",
    error: /mode [0-7]+ has setuid/,
    archive: (i) => {
      const b = base();
      const target = nth(Object.keys(FILES), i);
      return tarGz([
        manifestEntry(b.files),
        ...b.entries.map((e) => (e.path === target ? { ...e, mode: 0o6755 } : e)),
      ]);
    },
  },
  {
    name: "path escape in the archive",
    error: /absolute path|backslash|'\.\.' path segment|outside the backup roots/,
    archive: (i) => withEntry({ path: nth(ESCAPES, i), body: Buffer.from("owned") }, false),
  },
  {
    name: "path escape in the manifest",
    error:
      /manifest\.json at files\.\d+\.path: .*(absolute path|backslash|'\.\.' path segment|outside the backup roots)/,
    archive: (i) => withEntry({ path: nth(ESCAPES, i), body: Buffer.alloc(0) }),
  },
  {
    name: "gzip bomb: an entry far larger than the manifest says",
    error: /expands past \d+ bytes.*stopped there/,
    archive: () => bomb,
  },
  {
    name: "gzip bomb: zeros after the end of the archive",
    error: /expands past \d+ bytes.*stopped there/,
    archive: () => trailingBomb,
  },
  {
    name: "manifest over the byte cap",
    error: /more than 1024 bytes/,
    archive: () => {
      const b = base();
      return tarGz([manifestEntry(b.files), ...b.entries]);
    },
    limits: { maxBytes: 1024 },
  },
  {
    name: "manifest over the file cap",
    error: /more than 2 files/,
    archive: () => {
      const b = base();
      return tarGz([manifestEntry(b.files), ...b.entries]);
    },
    limits: { maxFiles: 2 },
  },
  {
    name: "wrong size",
    error: /bytes, manifest says/,
    archive: (i) => {
      const b = base();
      const k = i % b.files.length;
      const files = b.files.map((f, j) => (j === k ? { ...f, size: f.size + 1 + (i % 7) } : f));
      return tarGz([manifestEntry(files), ...b.entries]);
    },
  },
  {
    name: "wrong hash",
    error: /sha256 mismatch/,
    archive: (i) => {
      const b = base();
      const k = i % b.files.length;
      const files = b.files.map((f, j) =>
        j === k ? { ...f, sha256: (f.sha256[0] === "0" ? "1" : "0") + f.sha256.slice(1) } : f,
      );
      return tarGz([manifestEntry(files), ...b.entries]);
    },
  },
  {
    name: "extra entry",
    error: /not in the manifest/,
    archive: (i) =>
      withEntry({ path: nth(["models/extra.txt", "expected/x.parquet"], i), body: Buffer.from("x") }, false),
  },
  {
    name: "missing entry",
    error: /missing/,
    archive: (i) => {
      const b = base();
      const drop = nth(Object.keys(FILES), i);
      return tarGz([manifestEntry(b.files), ...b.entries.filter((e) => e.path !== drop)]);
    },
  },
  {
    name: "duplicate name in the archive",
    error: /archived twice/,
    archive: (i) => {
      const b = base();
      const dup = nth(Object.keys(FILES), i);
      return tarGz([manifestEntry(b.files), ...b.entries, { path: dup, body: Buffer.from("second copy") }]);
    },
  },
  {
    name: "duplicate name in the manifest",
    error: /listed twice/,
    archive: (i) => {
      const b = base();
      return tarGz([manifestEntry([...b.files, nth(b.files, i)]), ...b.entries]);
    },
  },
  {
    name: "totalBytes that do not add up",
    error: /add up/,
    archive: (i) => {
      const b = base();
      const total = b.files.reduce((s, f) => s + f.size, 0);
      return tarGz([manifestEntry(b.files, { totalBytes: total + 1 + i }), ...b.entries]);
    },
  },
  {
    name: "manifest not first, not JSON, or not a manifest",
    error: /not the first entry|not JSON|manifest\.json at version/,
    archive: (i) => {
      const b = base();
      switch (i % 3) {
        case 0:
          return tarGz([...b.entries, manifestEntry(b.files)]);
        case 1:
          return tarGz([{ path: "manifest.json", body: Buffer.from("{not json") }, ...b.entries]);
        default:
          return tarGz([manifestEntry(b.files, { version: 2 }), ...b.entries]);
      }
    },
  },
];

let bomb: Buffer;
let trailingBomb: Buffer;
beforeAll(() => {
  const b = base();
  // 64 MiB of zeros where the manifest says 0 bytes, and 64 MiB after the end blocks.
  bomb = withEntryBomb(b.files, b.entries);
  trailingBomb = tarGz([manifestEntry(b.files), ...b.entries], 64 * 1024 * 1024);
});
function withEntryBomb(files: FileSpec[], entries: Entry[]): Buffer {
  return tarGz([
    manifestEntry([...files, spec("models/bomb.bin", Buffer.alloc(0))]),
    ...entries,
    { path: "models/bomb.bin", zeros: 64 * 1024 * 1024 },
  ]);
}

/** Every entry under `root` (dot folders too): type, bytes, mode, mtime, link target. */
function snapshot(root: string): unknown[] {
  const out: unknown[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const p = join(root, r);
      const s = lstatSync(p);
      const row = { r, mode: s.mode, mtime: s.mtimeMs, uid: s.uid, nlink: s.nlink };
      if (s.isDirectory()) {
        out.push({ ...row, kind: "dir" });
        walk(r);
      } else if (s.isSymbolicLink()) out.push({ ...row, kind: "link", to: readlinkSync(p) });
      else out.push({ ...row, kind: "file", sha: sha(readFileSync(p)) });
    }
  };
  walk("");
  return out;
}

function put(root: string, rel: string, data: string) {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
  utimesSync(p, MTIME, MTIME);
}

/** A sink into `scratch` that records what it was asked to create. */
function recordingSink(scratch: string, made: string[]): ArchiveSink {
  return {
    async directory(rel) {
      made.push(`${rel}/`);
      mkdirSync(join(scratch, rel), { recursive: true });
    },
    async file(rel) {
      made.push(rel);
      const p = join(scratch, rel);
      mkdirSync(dirname(p), { recursive: true });
      const chunks: Buffer[] = [];
      return {
        async write(c) {
          chunks.push(Buffer.from(c));
        },
        async close() {
          writeFileSync(p, Buffer.concat(chunks), { flag: "wx" });
        },
      };
    },
  };
}

const LIMITS: ArchiveLimits = {
  maxFiles: 100_000,
  maxBytes: 64 * 1024 ** 3,
  maxManifestBytes: 32 * 1024 ** 2,
};

describe("restore of hostile archives", () => {
  test("a valid hand-built archive restores (the builder itself is sound)", async () => {
    const work = tempDir("maie-hostile-");
    const archive = join(work, "ok.tar.gz");
    const b = base();
    writeFileSync(archive, tarGz([manifestEntry(b.files), ...b.entries]));
    const data = join(work, "data");
    mkdirSync(data);
    const result = await runRestore({ dataDir: data, archive });
    expect(result.files).toBe(4);
    for (const [p, body] of Object.entries(FILES)) {
      expect(readFileSync(join(data, p))).toEqual(body);
      expect(lstatSync(join(data, p)).mode & 0o7777).toBe(0o644);
      expect(lstatSync(join(data, p)).uid).toBe(process.getuid!());
    }
    expect(lstatSync(join(data, "models")).mode & 0o7777).toBe(0o755);
  });

  test("modes from the manifest are masked to 0644 (a 0777 file comes back rw-r--r--)", async () => {
    const work = tempDir("maie-hostile-");
    const archive = join(work, "wide.tar.gz");
    const b = base();
    const files = b.files.map((f) => ({ ...f, mode: 0o777 }));
    writeFileSync(archive, tarGz([manifestEntry(files), ...b.entries]));
    const data = join(work, "data");
    await runRestore({ dataDir: data, archive });
    for (const p of Object.keys(FILES)) expect(lstatSync(join(data, p)).mode & 0o7777).toBe(0o644);
  });

  test("unsafe path segments are named (a NUL cannot travel in a ustar header, so it is checked here)", () => {
    expect(unsafePathReason("models/model.txt")).toBeNull();
    expect(unsafePathReason("models/a\0b")).toBe("NUL in path");
    expect(unsafePathReason("models\\..\\x")).toBe("backslash in path");
    expect(unsafePathReason("/models/x")).toBe("absolute path");
    expect(unsafePathReason("models//x")).toMatch(/empty/);
    expect(unsafePathReason("models/.")).toMatch(/'\.'/);
    expect(unsafePathReason("..")).toMatch(/'\.\.'/);
    expect(unsafePathReason("runs/backup-last.json")).toMatch(/outside the backup roots/);
  });

  test("an archive gzipped twice is refused, not unpacked by the tar reader behind the cap", async () => {
    const work = tempDir("maie-hostile-");
    const archive = join(work, "twice.tar.gz");
    const b = base();
    writeFileSync(archive, gzipSync(tarGz([manifestEntry(b.files), ...b.entries])));
    await expect(verifyArchive(archive)).rejects.toThrow(/compressed twice/);
  });

  test("each attack ends in a clear error and a byte-identical data volume", async () => {
    const work = tempDir("maie-hostile-");
    const data = join(work, "data");
    put(data, "models/model.txt", "the model in service");
    put(data, "expected/expected_latest.parquet", "today's panel");
    put(data, "runs/pipeline-last.json", "{}");
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ATTACKS), fc.nat(1000), async (attack, pick) => {
        seen.add(attack.name);
        const archive = join(work, "hostile.tar.gz");
        writeFileSync(archive, attack.archive(pick));
        const limits = { ...LIMITS, ...attack.limits };
        const before = snapshot(data);
        const started = Date.now();
        const err = await runRestore({ dataDir: data, archive, force: true, limits }).then(
          () => null,
          (e: unknown) => e,
        );
        expect({ attack: attack.name, error: err instanceof BackupVerifyError }).toEqual({
          attack: attack.name,
          error: true,
        });
        expect((err as Error).message).toMatch(attack.error);
        expect(snapshot(data)).toEqual(before);
        await expect(verifyArchive(archive, limits)).rejects.toThrow(attack.error);
        // The extraction pass on its own: only regular files and folders, inside the scratch folder.
        const scratch = mkdtempSync(join(work, "scratch-"));
        const made: string[] = [];
        await expect(readArchive(archive, limits, recordingSink(scratch, made))).rejects.toThrow(
          BackupVerifyError,
        );
        expect(
          readdirSync(work).filter(
            (n) => !["data", "hostile.tar.gz"].includes(n) && !n.startsWith("scratch-"),
          ),
        ).toEqual([]);
        for (const m of made) expect(m).toMatch(/^(models|expected|reports)(\/[^/.][^/]*)*\/?$/);
        rmSync(scratch, { recursive: true });
        // A bomb stops at the cap: far sooner than 64 MiB of zeros would take to write twice.
        expect(Date.now() - started).toBeLessThan(20_000);
      }),
      { numRuns: 80, seed: 20261201 },
    );
    expect([...seen].sort()).toEqual(ATTACKS.map((a) => a.name).sort());
  }, 180_000);
});
