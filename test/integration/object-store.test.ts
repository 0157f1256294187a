import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { ObjectStoreServer } from "../../tools/cluster/object-store.js";
import { freePort } from "../../tools/cluster/ports.js";
import {
  ObjectStore,
  ObjectStoreError,
  parseObjectStoreEnv,
  sha256Hex,
  type ObjectStoreErrorKind,
} from "../../src/objectstore/index.js";

/**
 * src/objectstore against a real S3 server (SeaweedFS, tools/cluster/object-store.ts):
 * the happy path a scorer, pipeline and backup rely on, and the failures
 * that need no fault proxy: wrong credentials, a missing bucket or key, a
 * tampered object, and a server that is down (killed, then started again on
 * its data). Faults in between (5xx, slow, cut) are object-store-faults.test.ts.
 */

const BUCKET = "maie-test";
const MiB = 1024 * 1024;
let server: ObjectStoreServer;
let store: ObjectStore;

beforeAll(async () => {
  const started = Date.now();
  server = await ObjectStoreServer.start({ buckets: [BUCKET] });
  process.stderr.write(`SeaweedFS S3 server ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  // Through the environment a pod gets, as the scorer and the pipeline will build it.
  store = new ObjectStore(parseObjectStoreEnv(server.env(BUCKET, { prefix: "team-a" }))!);
});

afterAll(async () => {
  store.close();
  await server.stop({ removeDir: true });
});

async function failure(p: Promise<unknown>): Promise<ObjectStoreError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ObjectStoreError) return err;
    throw new Error(`expected an ObjectStoreError, got ${String(err)}`, { cause: err });
  }
  throw new Error("expected the operation to fail");
}

async function failsWith(
  p: Promise<unknown>,
  kind: ObjectStoreErrorKind,
  ...phrases: string[]
): Promise<ObjectStoreError> {
  const e = await failure(p);
  if (e.kind !== kind) throw new Error(`expected a "${kind}" error, got "${e.kind}": ${e.message}`);
  for (const phrase of phrases) expect(e.message).toContain(phrase);
  return e;
}

describe("reading and writing through the real S3 server", () => {
  test("a small object: single PUT with its SHA-256, then GET, conditional GET (304), and a changed object", async () => {
    const v1 = Buffer.from('{"model":1}');
    const put = await store.upload("models/m.json", v1, { contentType: "application/json" });
    expect(put.ref).toEqual({ bucket: BUCKET, key: "team-a/models/m.json" });
    expect(put.sha256).toBe(sha256Hex(v1));

    const info = await store.head("models/m.json");
    expect(info).toMatchObject({ size: v1.length, etag: put.etag, sha256: sha256Hex(v1) });

    const got = await store.getIfChanged(`s3://${BUCKET}/team-a/models/m.json`);
    expect(got.kind).toBe("object");
    if (got.kind !== "object") return;
    expect(got.bytes.equals(v1)).toBe(true);
    expect(got.sha256).toBe(sha256Hex(v1));
    expect(got.etag).toBe(put.etag);

    expect(await store.getIfChanged("models/m.json", { etag: got.etag })).toEqual({
      kind: "not-modified",
      etag: got.etag,
    });

    const v2 = Buffer.from('{"model":2}');
    await store.upload("models/m.json", v2);
    const again = await store.getIfChanged("models/m.json", { etag: got.etag });
    expect(again.kind === "object" && again.bytes.equals(v2)).toBe(true);
  });

  test("a large object goes up in checksummed parts and reads back whole", async () => {
    const body = randomBytes(12 * MiB);
    const put = await store.upload("backups/archive.tar", body, {
      multipartThresholdBytes: 5 * MiB,
      partSizeBytes: 5 * MiB,
    });
    // A multipart ETag is "<digest of part digests>-<number of parts>".
    expect(put.etag).toMatch(/-3"$/);
    expect(put.sha256).toBe(sha256Hex(body));
    const got = await store.getIfChanged("backups/archive.tar");
    expect(got.kind === "object" && got.sha256).toBe(sha256Hex(body));
    // A composite checksum is no whole-object digest: head reports none rather than a wrong one.
    expect((await store.head("backups/archive.tar"))?.sha256).toBeUndefined();
  });

  test("a stream of unknown length is uploaded and hashed as it passes", async () => {
    const parts = [randomBytes(3 * MiB), randomBytes(4 * MiB), randomBytes(123)];
    const put = await store.upload("backups/stream.bin", Readable.from(parts), { partSizeBytes: 5 * MiB });
    const whole = Buffer.concat(parts);
    expect(put.sha256).toBe(sha256Hex(whole));
    expect(put.size).toBe(whole.length);
    const got = await store.getIfChanged("backups/stream.bin");
    expect(got.kind === "object" && got.sha256).toBe(sha256Hex(whole));
  });

  test("listing stays under the prefix; the newest object with a wanted suffix is found", async () => {
    const other = new ObjectStore(server.config(BUCKET, { prefix: "team-b" }));
    try {
      await other.upload("prices/p-2026-11-30.csv", Buffer.from("b"));
      await store.upload("prices/p-2026-11-27.csv", Buffer.from("a,1"));
      await store.upload("prices/p-2026-11-28.parquet", Buffer.from("a,2"));
      await store.upload("prices/notes.txt", Buffer.from("x"));
      const keys = (await store.list("prices/")).map((o) => o.key).sort();
      expect(keys).toEqual([
        "team-a/prices/notes.txt",
        "team-a/prices/p-2026-11-27.csv",
        "team-a/prices/p-2026-11-28.parquet",
      ]);
      // Same second (the store keeps whole seconds): the greatest key decides.
      const newest = await store.newestUnder("prices/", [".csv", ".parquet"]);
      expect(newest?.key).toBe("team-a/prices/p-2026-11-28.parquet");
      expect(await store.newestUnder("prices/", [".json"])).toBeUndefined();
    } finally {
      other.close();
    }
  });

  test("delete is idempotent; a missing key reads as not found", async () => {
    await store.upload("tmp/x", Buffer.from("x"));
    await store.delete("tmp/x");
    await store.delete("tmp/x");
    expect(await store.head("tmp/x")).toBeUndefined();
    await failsWith(store.getIfChanged("tmp/x"), "not-found", `s3://${BUCKET}/team-a/tmp/x does not exist`);
  });

  test("an object over the size limit is refused by its stated size", async () => {
    await store.upload("big/blob", randomBytes(2 * MiB));
    await failsWith(
      store.getIfChanged("big/blob", { maxBytes: MiB, maxBytesName: "LIMITS.maxModelBytes" }),
      "too-large",
      `s3://${BUCKET}/team-a/big/blob is ${2 * MiB} bytes, over LIMITS.maxModelBytes (${MiB} bytes): not read`,
    );
  });
});

describe("failures that need a change by the user", () => {
  test("a missing bucket names the bucket and the field to fix, for every operation", async () => {
    const missing = new ObjectStore(server.config("no-such-bucket-here"));
    const says = ["bucket no-such-bucket-here does not exist at", "create it or fix spec.objectStore.bucket"];
    try {
      await failsWith(missing.getIfChanged("m.json"), "no-such-bucket", ...says);
      await failsWith(missing.head("m.json"), "no-such-bucket", ...says);
      await failsWith(missing.upload("m.json", Buffer.from("x")), "no-such-bucket", ...says);
      await failsWith(missing.list(""), "no-such-bucket", ...says);
    } finally {
      missing.close();
    }
  });

  test("wrong secret, unknown key, and a key without write permission each name what to check", async () => {
    const wrongSecret = new ObjectStore(
      server.config(BUCKET, {
        who: { accessKeyId: server.admin.accessKeyId, secretAccessKey: "not-the-secret" },
      }),
    );
    const unknownKey = new ObjectStore(
      server.config(BUCKET, { who: { accessKeyId: "AKIANOBODY", secretAccessKey: "whatever" } }),
    );
    const reader = new ObjectStore(server.config(BUCKET, { prefix: "team-a", who: server.reader }));
    try {
      const e1 = await failsWith(
        wrongSecret.getIfChanged("team-a/models/m.json"),
        "credentials",
        "AWS_SECRET_ACCESS_KEY",
        "spec.objectStore.credentials.secretRef",
      );
      expect(e1.retryable).toBe(false);
      await failsWith(
        unknownKey.getIfChanged("team-a/models/m.json"),
        "credentials",
        "does not know the access key",
        "AWS_ACCESS_KEY_ID",
      );
      // A HEAD answer has no body to name the reason; it is still a credentials error.
      await failsWith(
        unknownKey.head("team-a/models/m.json"),
        "credentials",
        "HTTP 403",
        "AWS_ACCESS_KEY_ID",
      );
      // The reader may read and list, not write.
      expect((await reader.getIfChanged("models/m.json")).kind).toBe("object");
      await failsWith(
        reader.upload("models/m.json", Buffer.from("x")),
        "credentials",
        "access denied",
        "to write",
      );
    } finally {
      wrongSecret.close();
      unknownKey.close();
      reader.close();
    }
  });

  test("a tampered object is refused when its digest is pinned, and the pin names itself", async () => {
    const good = Buffer.from("the reviewed model");
    const { sha256 } = await store.upload("models/pinned.json", good);
    const pinned = { expectedSha256: sha256, expectedBy: "spec.model.sha256" };
    expect((await store.getIfChanged("models/pinned.json", pinned)).kind).toBe("object");
    // Someone with write access replaces the object behind the pin's back.
    const admin = server.client();
    await admin.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "team-a/models/pinned.json", Body: "a different model" }),
    );
    admin.destroy();
    const e = await failsWith(
      store.getIfChanged("models/pinned.json", pinned),
      "digest-mismatch",
      `but spec.model.sha256 says ${sha256}`,
      "it is not used",
    );
    expect(e.retryable).toBe(false);
  });
});

describe("a store that is down", () => {
  const tuning = {
    maxAttempts: 2,
    connectTimeoutMs: 1_000,
    socketTimeoutMs: 2_000,
    operationTimeoutMs: 10_000,
  };

  test("nothing listening at the endpoint: retryable, naming the endpoint", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const nowhere = new ObjectStore(server.config(BUCKET, { endpoint }), tuning);
    try {
      const e = await failsWith(nowhere.getIfChanged("m.json"), "unavailable", endpoint, "retried later");
      expect(e.retryable).toBe(true);
      expect(e.code).toBe("ECONNREFUSED");
    } finally {
      nowhere.close();
    }
  });

  test("a killed server fails requests while down; started again, its objects are all there", async () => {
    const body = Buffer.from("survives a crash");
    const put = await store.upload("models/crash.json", body);
    const fast = new ObjectStore(server.config(BUCKET, { prefix: "team-a" }), tuning);
    try {
      await server.kill();
      await failsWith(fast.getIfChanged("models/crash.json"), "unavailable", server.endpoint);
      await server.launch();
      const got = await fast.getIfChanged("models/crash.json");
      expect(got.kind === "object" && got.sha256).toBe(put.sha256);
    } finally {
      fast.close();
    }
  });
});
