import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import {
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { create, extract } from "tar";
import {
  listBucketArchives,
  restoreFromStore,
  runBackup,
  verifyArchive,
  verifyBucketArchive,
  type BackupSummary,
} from "../../src/backup/index.js";
import { BACKUP_SUMMARY } from "../../src/contract/data-layout.js";
import { ENV } from "../../src/contract/env.js";
import { backupKey, OBJECT_DIRS } from "../../src/contract/object-layout.js";
import { ObjectStore, ObjectStoreError, type ClientTuning } from "../../src/objectstore/index.js";
import { ObjectStoreServer } from "../../tools/cluster/object-store.js";
import {
  isUploadPart,
  startObjectStoreFaultProxy,
  type ObjectStoreFaultProxy,
} from "../harness/object-store-faults.js";

/**
 * Off-site backups (issue #17 item 5) against the real S3 server:
 * `maie backup run` uploads each verified archive and applies retention to
 * the bucket, `maie backup verify --from` re-downloads and re-hashes,
 * `maie restore --from` brings an empty data dir back from the bucket, and
 * an upload that fails (cut mid-way, wrong credentials) fails the run with
 * the local archive kept and nothing half-written in the bucket. Each test
 * uses its own key prefix in one bucket.
 */

const BUCKET = "maie-backups";
const MiB = 1024 * 1024;
const DAY_MS = 86_400_000;
/** Small bounds so a fault ends in seconds (production defaults: DEFAULT_TUNING). */
const TUNING: ClientTuning = {
  maxAttempts: 3,
  connectTimeoutMs: 1_000,
  socketTimeoutMs: 2_000,
  operationTimeoutMs: 30_000,
};

let server: ObjectStoreServer;
let proxy: ObjectStoreFaultProxy;
let s3: S3Client;
let root: string;

beforeAll(async () => {
  server = await ObjectStoreServer.start({ buckets: [BUCKET] });
  proxy = await startObjectStoreFaultProxy(server.endpoint);
  s3 = server.client();
  root = mkdtempSync(join(tmpdir(), "maie-backup-s3-"));
}, 120_000);

afterEach(() => proxy.set({ kind: "none" }));

afterAll(async () => {
  s3.destroy();
  await proxy.close();
  await server.stop({ removeDir: true });
  rmSync(root, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
let dirs = 0;
const fresh = (name: string) => {
  const d = join(root, `${name}-${++dirs}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** A data dir with a model, a panel, a history file and a report; `modelBytes` sets the model's size. */
function dataDir(modelBytes = 2048): string {
  const data = fresh("data");
  const files: Record<string, Uint8Array | string> = {
    "models/model.txt": randomBytes(modelBytes),
    "models/model.json": '{"format":"lightgbm"}\n',
    "expected/expected_latest.parquet": randomBytes(4096),
    "expected/history/2026-11-27.parquet": randomBytes(4096),
    "reports/2026-11-27/index.html": "<html>report</html>\n",
  };
  const mtime = new Date("2026-11-27T22:20:00Z");
  for (const [rel, bytes] of Object.entries(files)) {
    const p = join(data, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes, { mode: 0o644 });
    utimesSync(p, mtime, mtime);
  }
  return data;
}

/** Every file under the backup roots: bytes, mode and mtime. */
function snapshot(data: string): Record<string, { sha256: string; mode: number; mtime: number }> {
  const out: Record<string, { sha256: string; mode: number; mtime: number }> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const info = lstatSync(p);
      if (info.isDirectory()) walk(p);
      else
        out[relative(data, p)] = {
          sha256: sha(readFileSync(p)),
          mode: info.mode & 0o777,
          mtime: info.mtimeMs,
        };
    }
  };
  for (const r of ["models", "expected", "reports"]) walk(join(data, r));
  return out;
}

interface Run {
  readonly code: number;
  readonly stderr: string;
  readonly last: string;
}

/** `maie <args>` as a process, as the CronJob runs it. */
function maie(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["dist/src/cli/main.js", ...args],
      { env: { ...process.env, [ENV.logFormat]: "text", ...env }, encoding: "utf8" },
      (err, _stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        resolve({ code, stderr, last: stderr.trimEnd().split("\n").at(-1) ?? "" });
      },
    );
  });
}

const readSummary = (data: string) =>
  JSON.parse(readFileSync(join(data, BACKUP_SUMMARY), "utf8")) as BackupSummary;

/** The store a backup with this prefix writes to, straight to the server or through the fault proxy. */
const storeFor = (prefix: string, through: "server" | "proxy" = "server") =>
  new ObjectStore(
    server.config(BUCKET, { prefix, ...(through === "proxy" ? { endpoint: proxy.url } : {}) }),
    TUNING,
  );

/** Keys under `<prefix>/backups/`, relative to it. */
async function bucketListing(prefix: string): Promise<string[]> {
  const store = storeFor(prefix);
  try {
    return (await store.list(OBJECT_DIRS.backups))
      .map((o) => o.key.slice(`${prefix}/${OBJECT_DIRS.backups}`.length))
      .sort();
  } finally {
    store.close();
  }
}

describe("maie backup run with an object store", () => {
  test("uploads the verified archive to <prefix>/backups/ and records its URI, ETag and SHA-256", async () => {
    const data = dataDir();
    const backups = fresh("backups");
    const env = {
      ...server.env(BUCKET, { prefix: "upload" }),
      [ENV.dataDir]: data,
      [ENV.backupsDir]: backups,
    };
    const run = await maie(["backup", "run"], env);
    expect(run.code).toBe(0);
    const summary = readSummary(data);
    const archive = summary.archive!;
    expect(run.stderr).toContain(`uploaded ${archive} to s3://${BUCKET}/upload/backups/${archive}`);
    expect(run.last).toContain(`uploaded to s3://${BUCKET}/upload/${backupKey(archive)}`);
    const local = readFileSync(join(backups, archive));
    expect(summary).toMatchObject({
      ok: true,
      uploaded: { uri: `s3://${BUCKET}/upload/backups/${archive}`, size: local.length, sha256: sha(local) },
      prunedObjects: [],
    });
    expect(summary.uploaded?.etag).toMatch(/^"[^"]+"$/);
    expect(summary.archiveSha256).toBe(sha(local));
    // The object holds the local archive's bytes exactly.
    const store = storeFor("upload");
    try {
      const got = await store.getIfChanged(backupKey(archive));
      expect(got.kind === "object" ? got.sha256 : null).toBe(sha(local));
    } finally {
      store.close();
    }
  });

  test("applies retention to the bucket: archives past retentionDays are deleted, the newest never, other keys never", async () => {
    const prefix = "retention";
    const data = dataDir();
    const store = storeFor(prefix);
    const foreign = storeFor("retention-other");
    try {
      await store.upload(`${OBJECT_DIRS.backups}notes.txt`, Buffer.from("not an archive"));
      await foreign.upload(backupKey("maie-backup-20260101T000000Z.tar.gz"), Buffer.from("another prefix"));
      const start = Date.parse("2026-11-01T23:00:00Z");
      // A fresh backups dir for every run: what the bucket prunes comes from its own listing.
      const runs: BackupSummary[] = [];
      for (const day of [0, 10, 20, 30, 40])
        runs.push(
          await runBackup({
            dataDir: data,
            backupsDir: fresh("backups"),
            retentionDays: 15,
            clock: () => new Date(start + day * DAY_MS),
            objectStore: store,
          }),
        );
      // Run on day 40 (2026-12-11): day 30 (2026-12-01) is within 15 days, day 20 (2026-11-21) is not.
      expect(await bucketListing(prefix)).toEqual([
        "maie-backup-20261201T230000Z.tar.gz",
        "maie-backup-20261211T230000Z.tar.gz",
        "notes.txt",
      ]);
      expect(runs.map((r) => r.prunedObjects)).toEqual([
        [],
        [],
        [`s3://${BUCKET}/${prefix}/backups/maie-backup-20261101T230000Z.tar.gz`],
        [`s3://${BUCKET}/${prefix}/backups/maie-backup-20261111T230000Z.tar.gz`],
        [`s3://${BUCKET}/${prefix}/backups/maie-backup-20261121T230000Z.tar.gz`],
      ]);
      // A run whose clock has moved 100 days on by the time it prunes: every
      // archive is past retention, the one just uploaded is kept.
      let calls = 0;
      const jump = start + 50 * DAY_MS;
      const last = await runBackup({
        dataDir: data,
        backupsDir: fresh("backups"),
        retentionDays: 15,
        clock: () => new Date(calls++ === 0 ? jump : jump + 100 * DAY_MS),
        objectStore: store,
      });
      expect(last.uploaded?.uri).toBe(`s3://${BUCKET}/${prefix}/backups/maie-backup-20261221T230000Z.tar.gz`);
      expect(await bucketListing(prefix)).toEqual(["maie-backup-20261221T230000Z.tar.gz", "notes.txt"]);
      expect((await listBucketArchives(foreign)).map((a) => a.name)).toEqual([
        "maie-backup-20260101T000000Z.tar.gz",
      ]);
    } finally {
      store.close();
      foreign.close();
    }
  });

  test("an upload cut mid-way fails the run; the local archive is kept and verifies; no object or part is left", async () => {
    const prefix = "cut";
    // 12 MiB of random bytes: the archive goes up in two 8 MiB parts.
    const data = dataDir(12 * MiB);
    const backups = fresh("backups");
    const store = storeFor(prefix, "proxy");
    try {
      proxy.set({ kind: "cut-request", afterBytes: 512 * 1024 }, { match: isUploadPart });
      let caught: unknown;
      await runBackup({ dataDir: data, backupsDir: backups, objectStore: store }).catch((err: unknown) => {
        caught = err;
      });
      expect(proxy.injected).toBeGreaterThan(0);
      expect(caught).toBeInstanceOf(Error);
      const message = (caught as Error).message;
      const [archive] = readdirSync(backups);
      expect(message).toContain(
        `${archive} is written, verified and kept in ${backups}, but its upload to s3://${BUCKET}/${prefix}/backups/${archive} failed: `,
      );
      expect(message).toMatch(/unavailable after 3 attempts/);
      expect((caught as Error).cause).toBeInstanceOf(ObjectStoreError);
      // Nothing lost: the local archive is whole.
      await expect(verifyArchive(join(backups, archive!))).resolves.toMatchObject({
        files: expect.any(Array) as unknown,
      });
      expect(readSummary(data)).toMatchObject({ ok: false, error: message });
      // Nothing half-written: no object, no incomplete multipart upload.
      expect(await bucketListing(prefix)).toEqual([]);
      expect(await store.listIncompleteUploads(OBJECT_DIRS.backups)).toEqual([]);
      // The store heals: the next run uploads.
      proxy.set({ kind: "none" });
      const next = await runBackup({
        dataDir: data,
        backupsDir: backups,
        objectStore: store,
        clock: () => new Date(Date.now() + 1000),
      });
      expect(next.uploaded?.size).toBeGreaterThan(12 * MiB);
      expect(await bucketListing(prefix)).toEqual([next.archive]);
    } finally {
      store.close();
    }
  });

  test("an upload a killed run left incomplete is aborted by a run starting over an hour later, not sooner", async () => {
    const prefix = "orphans";
    const data = dataDir();
    const store = storeFor(prefix);
    try {
      // What a run SIGKILLed mid-upload leaves: a multipart upload with one part and no completion.
      const Key = `${prefix}/${backupKey("maie-backup-20261130T230000Z.tar.gz")}`;
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
      await s3.send(
        new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: randomBytes(5 * MiB) }),
      );
      const lines: string[] = [];
      const runAt = (offsetMs: number) =>
        runBackup({
          dataDir: data,
          backupsDir: fresh("backups"),
          clock: () => new Date(Date.now() + offsetMs),
          objectStore: store,
          progress: (line) => lines.push(line),
        });
      await runAt(30 * 60_000);
      expect((await store.listIncompleteUploads(OBJECT_DIRS.backups)).map((u) => u.uploadId)).toEqual([
        UploadId,
      ]);
      expect(lines.filter((l) => l.startsWith("aborted"))).toEqual([]);
      await runAt(2 * 3_600_000);
      expect(lines).toContain("aborted 1 incomplete upload(s) left by an interrupted backup");
      expect(await store.listIncompleteUploads(OBJECT_DIRS.backups)).toEqual([]);
      expect(await bucketListing(prefix)).toHaveLength(2);
    } finally {
      store.close();
    }
  });

  test("wrong credentials fail the run naming the key to fix; the local archive is kept", async () => {
    const data = dataDir();
    const base = { [ENV.dataDir]: data };
    const wrongSecret = await maie(["backup", "run"], {
      ...server.env(BUCKET, {
        prefix: "creds",
        who: { accessKeyId: server.admin.accessKeyId, secretAccessKey: "wrong-secret" },
      }),
      ...base,
      [ENV.backupsDir]: fresh("backups"),
    });
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.last).toMatch(
      /^maie backup: maie-backup-\S+ is written, verified and kept in \S+, but its upload to s3:\/\/maie-backups\/creds\/backups\/\S+ failed: /,
    );
    expect(wrongSecret.last).toContain(
      "check AWS_SECRET_ACCESS_KEY in the credentials Secret (spec.objectStore.credentials.secretRef)",
    );
    const readOnly = await maie(["backup", "run"], {
      ...server.env(BUCKET, { prefix: "creds", who: server.reader }),
      ...base,
      [ENV.backupsDir]: fresh("backups"),
    });
    expect(readOnly.code).toBe(1);
    expect(readOnly.last).toContain(`to write in bucket ${BUCKET}`);
    expect(readSummary(data)).toMatchObject({ ok: false });
    expect(await bucketListing("creds")).toEqual([]);
  });
});

describe("maie backup verify --from and maie restore --from", () => {
  const prefix = "restore";
  let data: string;
  let env: Record<string, string>;
  let archive: string;

  beforeAll(async () => {
    data = dataDir();
    env = server.env(BUCKET, { prefix });
    const run = await maie(["backup", "run", "--data-dir", data, "--backups-dir", fresh("backups")], env);
    expect(run.code).toBe(0);
    archive = readSummary(data).archive!;
  });

  test("restore --from latest into an empty dir, with no local archive anywhere, gives the same files", async () => {
    const target = join(fresh("empty"), "data");
    const run = await maie(
      ["restore", "--data-dir", target, "--backups-dir", join(root, "no-such-backups")],
      env,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`latest: s3://${BUCKET}/${prefix}/backups/${archive}`);
    expect(run.last).toMatch(
      new RegExp(`^restore: done in [0-9.]+ s from s3://${BUCKET}/${prefix}/backups/${archive}$`),
    );
    expect(snapshot(target)).toEqual(snapshot(data));
    // The download is gone: only the restored folders remain.
    expect(readdirSync(target).sort()).toEqual(["expected", "models", "reports"]);
  });

  test("restore --from s3://… names the object; without the store's settings it says what to set", async () => {
    const uri = `s3://${BUCKET}/${prefix}/backups/${archive}`;
    const target = join(fresh("empty"), "data");
    const run = await maie(["restore", "--data-dir", target, "--from", uri], env);
    expect(run.code).toBe(0);
    expect(snapshot(target)).toEqual(snapshot(data));
    const bare = await maie(["restore", "--data-dir", join(fresh("empty"), "data"), "--from", uri], {});
    expect(bare.code).toBe(1);
    expect(bare.last).toContain("MAIE_OBJECT_STORE_BUCKET is not set, but maie restore --from s3://");
  });

  test("verify --from re-downloads and re-hashes: OK, then a tampered object is refused naming the file", async () => {
    const ok = await maie(["backup", "verify", "--from", "latest"], env);
    expect(ok.code).toBe(0);
    expect(ok.last).toMatch(
      new RegExp(`s3://${BUCKET}/${prefix}/backups/${archive}: OK, 5 files, \\d+ bytes, created `),
    );
    // Tampered: the model's bytes changed, the manifest kept, the object replaced in place.
    const work = fresh("tamper");
    const store = storeFor(prefix);
    // Named as a later archive, so 'latest' picks it.
    const tamperedKey = backupKey("maie-backup-20271231T230000Z.tar.gz");
    try {
      await store.download(backupKey(archive), join(work, "a.tar.gz"), {
        maxBytes: 10 * MiB,
        maxBytesName: "test",
      });
      mkdirSync(join(work, "x"));
      await extract({ file: join(work, "a.tar.gz"), cwd: join(work, "x") });
      const model = readFileSync(join(work, "x/models/model.txt"));
      model[0] = (model[0] ?? 0) ^ 0xff;
      writeFileSync(join(work, "x/models/model.txt"), model);
      await create({ gzip: true, cwd: join(work, "x"), file: join(work, "t.tar.gz") }, [
        "manifest.json",
        "models",
        "expected",
        "reports",
      ]);
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `${prefix}/${tamperedKey}`,
          Body: readFileSync(join(work, "t.tar.gz")),
        }),
      );
    } finally {
      store.close();
    }
    const refused = await maie(["backup", "verify", "--from", tamperedKey], env);
    expect(refused.code).toBe(1);
    expect(refused.last).toBe(
      `maie backup: s3://${BUCKET}/${prefix}/${tamperedKey}: 1 problem(s): models/model.txt: sha256 mismatch`,
    );
    // 'all' checks every archive in the bucket and stops at the bad one.
    const all = await maie(["backup", "verify", "--from", "all"], env);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain(`${archive}: OK`);
    // restore --from latest now picks the tampered (newer) one, and refuses it, the target untouched.
    const target = join(fresh("empty"), "data");
    const restore = await maie(["restore", "--data-dir", target], env);
    expect(restore.code).toBe(1);
    expect(restore.last).toContain("models/model.txt: sha256 mismatch");
    expect(readdirSync(target)).toEqual([]);
  });

  test("an archive object larger than the archive limits allow is refused before it is read", async () => {
    const store = storeFor(prefix);
    const limits = { maxFiles: 10, maxBytes: 1024, maxManifestBytes: 1024 };
    // What these limits can hold compresses to at most ~54 KiB: a 256 KiB object cannot be such an archive.
    const ref = store.ref(backupKey("maie-backup-20261130T230000Z.tar.gz"));
    try {
      await store.upload(ref, randomBytes(256 * 1024));
      const target = join(fresh("empty"), "data");
      await expect(restoreFromStore(store, ref, { dataDir: target, limits })).rejects.toMatchObject({
        kind: "too-large",
        message: expect.stringContaining("over the archive size ARCHIVE_LIMITS allows") as unknown,
      });
      expect(readdirSync(target)).toEqual([]);
      await expect(verifyBucketArchive(store, ref, { limits })).rejects.toMatchObject({ kind: "too-large" });
    } finally {
      store.close();
    }
  });
});
