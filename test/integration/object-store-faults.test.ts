import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { ListPartsCommand } from "@aws-sdk/client-s3";
import { ObjectStoreServer } from "../../tools/cluster/object-store.js";
import { waitFor } from "../../tools/cluster/wait.js";
import {
  isObjectGet,
  isUploadPart,
  startObjectStoreFaultProxy,
  type ObjectStoreFaultProxy,
} from "../harness/object-store-faults.js";
import {
  ObjectStore,
  ObjectStoreError,
  sha256Hex,
  type ClientTuning,
  type ObjectStoreErrorKind,
} from "../../src/objectstore/index.js";

/**
 * src/objectstore against the real S3 server through a fault proxy
 * (test/harness/object-store-faults.ts): 5xx answers, a store that resets
 * every connection, slow answers, bodies cut in either direction, bytes
 * flipped on the way, and an uploader killed in the middle of a multipart
 * upload. Each ends in a typed error (retryable where it is transient) and
 * loses nothing: the object that was there before is still there, whole.
 */

const BUCKET = "maie-faults";
const MiB = 1024 * 1024;
/** Small bounds so each fault ends in a second or two (production defaults: DEFAULT_TUNING). */
const TUNING: ClientTuning = {
  maxAttempts: 3,
  connectTimeoutMs: 1_000,
  socketTimeoutMs: 1_000,
  operationTimeoutMs: 20_000,
};
let server: ObjectStoreServer;
let proxy: ObjectStoreFaultProxy;
let store: ObjectStore;

beforeAll(async () => {
  server = await ObjectStoreServer.start({ buckets: [BUCKET] });
  proxy = await startObjectStoreFaultProxy(server.endpoint);
  store = new ObjectStore(server.config(BUCKET, { endpoint: proxy.url }), TUNING);
});

afterEach(() => proxy.set({ kind: "none" }));

afterAll(async () => {
  store.close();
  await proxy.close();
  await server.stop({ removeDir: true });
});

async function failsWith(
  p: Promise<unknown>,
  kind: ObjectStoreErrorKind,
  ...phrases: string[]
): Promise<ObjectStoreError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof ObjectStoreError))
    throw new Error(`expected a "${kind}" ObjectStoreError, got ${String(caught)}`, { cause: caught });
  if (caught.kind !== kind)
    throw new Error(`expected a "${kind}" error, got "${caught.kind}": ${caught.message}`);
  for (const phrase of phrases) expect(caught.message).toContain(phrase);
  return caught;
}

/** The object as the server holds it, read around the proxy. */
async function direct(key: string): Promise<string | undefined> {
  const plain = new ObjectStore(server.config(BUCKET));
  try {
    const got = await plain.getIfChanged(key);
    return got.kind === "object" ? got.sha256 : undefined;
  } finally {
    plain.close();
  }
}

describe("transient faults: a retryable error naming the store, nothing changed", () => {
  test("a store that resets every connection (down)", async () => {
    proxy.set({ kind: "down" });
    const e = await failsWith(store.getIfChanged("m.json"), "unavailable", proxy.url, "retried later");
    expect(e.retryable).toBe(true);
    // The SDK tried maxAttempts times before giving up.
    expect(proxy.injected).toBe(TUNING.maxAttempts);
  });

  test("500 on every attempt; 503 once is absorbed by the SDK's retry", async () => {
    await store.upload("m.json", Buffer.from("v1"));
    proxy.set({ kind: "error", status: 500 });
    const e = await failsWith(store.getIfChanged("m.json"), "unavailable", "HTTP 500", "after 3 attempts");
    expect(e.httpStatus).toBe(500);
    await failsWith(store.upload("m.json", Buffer.from("v2")), "unavailable", "HTTP 500");

    proxy.set({ kind: "error", status: 503 }, { times: 1 });
    const got = await store.getIfChanged("m.json");
    expect(got.kind === "object" && got.bytes.toString()).toBe("v1");
    expect(proxy.injected).toBe(1);
  });

  test("an answer slower than the socket timeout, on every attempt", async () => {
    await store.upload("slow.json", Buffer.from("x"));
    proxy.set({ kind: "slow", delayMs: TUNING.socketTimeoutMs * 3 });
    const e = await failsWith(store.getIfChanged("slow.json"), "unavailable", proxy.url);
    expect(e.retryable).toBe(true);
    expect(proxy.injected).toBe(TUNING.maxAttempts);
  });

  test("the operation deadline bounds a store slower than it, retries included", async () => {
    await store.upload("deadline.json", Buffer.from("x"));
    const patient = new ObjectStore(server.config(BUCKET, { endpoint: proxy.url }), {
      ...TUNING,
      socketTimeoutMs: 30_000,
      operationTimeoutMs: 1_500,
    });
    try {
      proxy.set({ kind: "slow", delayMs: 10_000 });
      const e = await failsWith(
        patient.getIfChanged("deadline.json"),
        "unavailable",
        "did not finish within 1500 ms",
      );
      expect(e.code).toBe("TimeoutError");
    } finally {
      patient.close();
    }
  });

  test("a body cut mid-way is an error, never a short object; the next read is whole", async () => {
    const body = randomBytes(MiB);
    await store.upload("cut.bin", body);
    proxy.set({ kind: "cut-response", afterBytes: 100_000 }, { match: isObjectGet, times: 1 });
    await failsWith(store.getIfChanged("cut.bin"), "unavailable", "s3://maie-faults/cut.bin");
    const got = await store.getIfChanged("cut.bin");
    expect(got.kind === "object" && got.sha256).toBe(sha256Hex(body));
  });
});

describe("corrupted bytes are never used", () => {
  test("a bit flipped on the way fails the store's own checksum, pinned or not", async () => {
    const body = Buffer.from("model bytes the store checksummed on upload");
    await store.upload("flip.json", body);
    proxy.set({ kind: "corrupt" }, { match: isObjectGet });
    const e = await failsWith(
      store.getIfChanged("flip.json"),
      "digest-mismatch",
      "the store's checksum (x-amz-checksum-sha256)",
    );
    expect(e.retryable).toBe(false);
  });

  test("a multipart object (no whole-object checksum) is caught by the pinned digest", async () => {
    const body = randomBytes(6 * MiB);
    const put = await store.upload("flip.tar", body, {
      multipartThresholdBytes: 5 * MiB,
      partSizeBytes: 5 * MiB,
    });
    proxy.set({ kind: "corrupt" }, { match: isObjectGet });
    await failsWith(
      store.getIfChanged("flip.tar", { expectedSha256: put.sha256, expectedBy: "the backup manifest" }),
      "digest-mismatch",
      `but the backup manifest says ${put.sha256}`,
    );
  });
});

describe("an upload cut or killed midway leaves the previous object", () => {
  test("every part's connection cut: the upload fails, is aborted, and the old object stays", async () => {
    const old = Buffer.from("the last good archive");
    await store.upload("backups/latest.tar", old);
    proxy.set({ kind: "cut-request", afterBytes: 512 * 1024 }, { match: isUploadPart });
    await failsWith(
      store.upload("backups/latest.tar", randomBytes(11 * MiB), {
        multipartThresholdBytes: 5 * MiB,
        partSizeBytes: 5 * MiB,
      }),
      "unavailable",
      "cannot write s3://maie-faults/backups/latest.tar",
    );
    expect(proxy.injected).toBeGreaterThanOrEqual(TUNING.maxAttempts);
    proxy.set({ kind: "none" });
    expect(await direct("backups/latest.tar")).toBe(sha256Hex(old));
    // The failed upload was aborted: no parts left behind.
    expect(await store.listIncompleteUploads("backups/")).toEqual([]);
  });

  test("an uploader SIGKILLed after two parts: readers still get the old object; the orphan upload can be aborted", async () => {
    const old = Buffer.from("yesterday's panel");
    await store.upload("panels/latest.parquet", old);
    const partSize = 5 * MiB;
    const child = spawn(
      process.execPath,
      ["dist/test/integration/object-store-upload-child.js", "panels/latest.parquet", String(partSize), "3"],
      { env: { ...process.env, ...server.env(BUCKET) }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const running = () => child.exitCode === null && child.signalCode === null;

    const admin = server.client();
    // Three parts' bytes are sent; lib-storage holds the last back until it knows whether more follow.
    const partsUploaded = async (): Promise<number> => {
      const uploads = await store.listIncompleteUploads("panels/");
      const u = uploads[0];
      if (u === undefined) return 0;
      const parts = await admin.send(
        new ListPartsCommand({ Bucket: BUCKET, Key: u.ref.key, UploadId: u.uploadId }),
      );
      return parts.Parts?.length ?? 0;
    };
    try {
      await waitFor(
        async () => (await partsUploaded()) >= 2,
        60_000,
        running,
        `two parts uploaded (${stderr})`,
      );
      child.kill("SIGKILL");
      await exited;

      // Readers see the old object, whole, not 10 MiB of a new one.
      expect(await direct("panels/latest.parquet")).toBe(sha256Hex(old));
      expect((await store.head("panels/latest.parquet"))?.size).toBe(old.length);
      // The killed writer could not abort its upload: it stays, invisible, until cleaned up.
      const orphans = await store.listIncompleteUploads("panels/");
      expect(orphans.map((u) => u.ref.key)).toEqual(["panels/latest.parquet"]);
      // A cleanup with a margin leaves uploads younger than it alone...
      expect(await store.abortIncompleteUploads("panels/", new Date(Date.now() - 3_600_000))).toEqual([]);
      // ...and aborts the older ones.
      const aborted = await store.abortIncompleteUploads("panels/", new Date(Date.now() + 60_000));
      expect(aborted.map((u) => u.uploadId)).toEqual(orphans.map((u) => u.uploadId));
      expect(await store.listIncompleteUploads("panels/")).toEqual([]);
      expect(await direct("panels/latest.parquet")).toBe(sha256Hex(old));
    } finally {
      if (running()) child.kill("SIGKILL");
      admin.destroy();
    }
  });
});
