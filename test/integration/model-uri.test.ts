import { createHash } from "node:crypto";
import { createServer, type Server } from "node:https";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { CLI, prepareSampleData } from "../../bench/scorer/soak-lib.js";
import { ENV, OBJECT_STORE_ENV } from "../../src/contract/env.js";
import type { RestClient } from "../../src/kube/rest.js";
import { ObjectStoreServer } from "../../tools/cluster/object-store.js";
import { generateCerts } from "../../tools/cluster/certs.js";
import { applyMaieDeployments } from "../harness/apply.js";
import { kubectl } from "../harness/cluster.js";
import {
  eventually,
  markPodsReady,
  operatorInNewNamespace,
  type OperatorInNamespace,
} from "../harness/operator.js";
import { runProcess } from "../harness/process.js";
import { loopbackPodIP, maieStatus, startScorerProcess } from "../harness/scorer-process.js";

/**
 * A model behind a URI (spec.model.uri), end to end on real parts: the
 * SeaweedFS S3 server, `maie scorer` and `maie pipeline run` as processes,
 * and the operator on the real control plane reading what the scorer says
 * it serves into status.model. The kubelet is the test: it runs the scorer
 * process on a loopback address and gives the pod that address.
 */

const BUCKET = "models";
const KEY = "alpha/model.txt";
const URI = `s3://${BUCKET}/${KEY}`;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let server: ObjectStoreServer;
let s3: S3Client;
let dir: string;
let dataDir: string;
let modelA: Buffer;
let modelB: Buffer;

beforeAll(async () => {
  server = await ObjectStoreServer.start({ buckets: [BUCKET] });
  s3 = server.client();
  dir = mkdtempSync(join(tmpdir(), "maie-model-uri-"));
  const sample = prepareSampleData(dir);
  dataDir = sample.dataDir;
  modelA = readFileSync(join(dataDir, "models/model.txt"));
  modelB = readFileSync(sample.swapModel);
}, 120_000);

afterAll(async () => {
  s3.destroy();
  await server.stop({ removeDir: true });
  rmSync(dir, { recursive: true, force: true });
});

const put = (body: Uint8Array, key = KEY) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

/** `maie scorer` fetching its model from the store (URI unless `env` says otherwise). */
const startScorer = (env: Record<string, string>, host?: string, metricsPort?: number) =>
  startScorerProcess({
    dataDir,
    env: { ...server.env(BUCKET), [ENV.modelUri]: URI, ...env },
    ...(host !== undefined && { host }),
    ...(metricsPort !== undefined && { metricsPort }),
  });

describe("a model behind an s3:// URI, served by maie scorer", () => {
  test("unpinned: a new object at the URI is swapped in live; a bad one leaves the last good model serving", async () => {
    await put(modelA);
    const scorer = await startScorer({});
    try {
      const first = await eventually(async () => {
        const r = await scorer.ready();
        return r.model_sha256 === sha(modelA) && r;
      });
      expect(first).toMatchObject({ http: 200, model_source: URI });
      expect(first.model_etag).toMatch(/^"?[0-9a-f-]+"?$/);
      expect(Date.parse(first.model_loaded_at ?? "")).not.toBeNaN();

      await put(modelB);
      await eventually(async () => (await scorer.ready()).model_sha256 === sha(modelB), 30_000, "model B");

      await put(Buffer.from("tree\nversion=v4\nthis is not a model"));
      const broken = await eventually(async () => {
        const r = await scorer.ready();
        return r.model_error !== undefined && r;
      });
      expect(broken).toMatchObject({ http: 200, model_sha256: sha(modelB) });
      expect((await fetch(`${scorer.url}/score_expected`)).status).toBe(200);

      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: KEY }));
      const gone = await eventually(async () => {
        const r = await scorer.ready();
        return r.model_error?.includes(KEY) === true && r;
      });
      expect(gone).toMatchObject({ http: 200, model_sha256: sha(modelB) });
    } finally {
      await scorer.stop();
    }
  }, 120_000);

  test("pinned: only the object with the pinned SHA-256 loads, and the error says so", async () => {
    await put(modelB);
    const wrongPin = await startScorer({ [ENV.modelSha256]: sha(modelA) });
    try {
      const r = await eventually(async () => {
        const x = await wrongPin.ready();
        return x.model_error !== undefined && x;
      });
      expect(r).toMatchObject({ http: 503, model_sha256: null });
      expect(r.model_error).toContain("spec.model.sha256");
    } finally {
      await wrongPin.stop();
    }
    const rightPin = await startScorer({ [ENV.modelSha256]: sha(modelB) });
    try {
      await eventually(async () => (await rightPin.ready()).model_sha256 === sha(modelB));
    } finally {
      await rightPin.stop();
    }
  }, 120_000);

  test("wrong credentials: no model, and the error names the keys to fix", async () => {
    const scorer = await startScorer({ [OBJECT_STORE_ENV.secretAccessKey]: "not-the-secret" });
    try {
      const r = await eventually(async () => {
        const x = await scorer.ready();
        return x.model_error !== undefined && x;
      });
      expect(r).toMatchObject({ http: 503, model_sha256: null });
      expect(r.model_error).toContain(OBJECT_STORE_ENV.secretAccessKey);
    } finally {
      await scorer.stop();
    }
  }, 60_000);
});

describe("a model behind an https:// URL", () => {
  let https: Server;
  let url: string;
  let body: Buffer = Buffer.alloc(0);
  let caCert: string;
  const answers: number[] = [];

  beforeAll(async () => {
    const certs = await generateCerts(mkdtempSync(join(dir, "tls-")));
    // A plain static server with strong ETags, as a CDN or an artifact store answers.
    https = createServer(
      { cert: readFileSync(certs.servingCert), key: readFileSync(certs.servingKey) },
      (req, res) => {
        const etag = `"${sha(body)}"`;
        const status =
          req.url !== "/models/alpha.txt" ? 404 : req.headers["if-none-match"] === etag ? 304 : 200;
        answers.push(status);
        res.writeHead(
          status,
          status === 404 ? {} : { etag, "content-length": status === 200 ? body.length : 0 },
        );
        res.end(status === 200 ? body : undefined);
      },
    );
    await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
    const address = https.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    url = `https://127.0.0.1:${address.port}/models/alpha.txt`;
    caCert = certs.caCert;
  });

  afterAll(() => new Promise<void>((resolve) => https.close(() => resolve())));

  test("loads, polls with If-None-Match (304s), swaps a new body, and names a 404", async () => {
    body = modelA;
    const scorer = await startScorer({
      [ENV.modelUri]: url,
      NODE_EXTRA_CA_CERTS: caCert,
    });
    try {
      await eventually(
        async () => (await scorer.ready()).model_sha256 === sha(modelA),
        30_000,
        "model A over https",
      );
      await eventually(async () => answers.includes(304), 10_000, "a conditional GET answered 304");
      body = modelB;
      await eventually(
        async () => (await scorer.ready()).model_sha256 === sha(modelB),
        30_000,
        "model B over https",
      );
    } finally {
      await scorer.stop();
    }
    const missing = await startScorer({
      [ENV.modelUri]: url.replace("alpha.txt", "none.txt"),
      NODE_EXTRA_CA_CERTS: caCert,
    });
    try {
      const r = await eventually(async () => {
        const x = await missing.ready();
        return x.model_error !== undefined && x;
      });
      expect(r.model_error).toContain("404");
      expect(r.model_error).toContain("none.txt");
    } finally {
      await missing.stop();
    }
  }, 120_000);
});

describe("maie pipeline run --model-uri", () => {
  const run = (env: Record<string, string>) =>
    runProcess(process.execPath, [CLI, "pipeline", "run", "--data-dir", dataDir, "--log-format", "text"], {
      env: { ...process.env, ...server.env(BUCKET), [ENV.modelUri]: URI, ...env },
    });

  test("scores with the fetched model, and a missing object fails the run naming it, the panel kept", async () => {
    await put(modelA);
    const ok = await run({});
    expect(ok.stderr).toContain(`fetched ${modelA.byteLength} bytes from ${URI}`);
    expect(ok.code).toBe(0);
    const panel = readFileSync(join(dataDir, "expected/expected_latest.parquet"));

    const missing = await run({ [ENV.modelUri]: `s3://${BUCKET}/alpha/none.txt` });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("alpha/none.txt");
    expect(readFileSync(join(dataDir, "expected/expected_latest.parquet")).equals(panel)).toBe(true);
  }, 120_000);
});

describe("the operator reports the model the scorer pods serve (status.model)", () => {
  let client: RestClient;
  let ns: string;
  let kubeconfig: string;
  const NAME = "alpha";
  const SCORER_PODS = `app.kubernetes.io/instance=${NAME},app.kubernetes.io/component=scorer`;
  const podIP = loopbackPodIP();

  let setup: OperatorInNamespace;

  beforeAll(async () => {
    setup = await operatorInNewNamespace("model-uri");
    ({ kubeconfig, client, namespace: ns } = setup);
    await applyMaieDeployments(kubeconfig, ns, [
      {
        name: NAME,
        spec: {
          replicas: 1,
          model: { uri: URI, pollInterval: "1s" },
          objectStore: { bucket: BUCKET, endpoint: server.endpoint, forcePathStyle: true },
        },
      },
    ]);
  }, 60_000);

  afterAll(() => setup.stop());

  const status = () => maieStatus(client, ns, NAME);

  test("status.model follows the object the pod loads; no model at all is Ready=False ModelUnavailable", async () => {
    await put(modelA);
    let scorer = await startScorer({}, podIP, 9090);
    try {
      await eventually(
        async () => (await markPodsReady(client, ns, SCORER_PODS, podIP)) === 1,
        30_000,
        "the pod",
      );
      const first = await eventually(
        async () => {
          const s = await status();
          return s?.model?.sha256 === sha(modelA) && s;
        },
        30_000,
        "status.model to show model A",
      );
      expect(first.model).toMatchObject({
        source: URI,
        digest: `sha256:${sha(modelA).slice(0, 12)}`,
        serving: "1/1",
      });
      const table = await kubectl(kubeconfig, ["-n", ns, "get", "maie", NAME]);
      expect(table.stdout).toMatch(new RegExp(`^NAME +READY +REPLICAS +MODEL +`, "m"));
      expect(table.stdout).toContain(`sha256:${sha(modelA).slice(0, 12)}`);

      await put(modelB);
      await eventually(
        async () => (await status())?.model?.sha256 === sha(modelB),
        30_000,
        "model B in status",
      );
      const events = await client.request<{ items: { reason?: string; note?: string }[] }>(
        "GET",
        `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
      );
      expect(events.items.filter((e) => e.reason === "ModelChanged").map((e) => e.note)).toEqual(
        expect.arrayContaining([expect.stringContaining(`was sha256:${sha(modelA).slice(0, 12)}`)]),
      );

      // A new pod whose only object is gone: nothing good is left anywhere.
      await scorer.stop();
      scorer = await startScorer({ [ENV.modelUri]: `s3://${BUCKET}/alpha/none.txt` }, podIP, 9090);
      const down = await eventually(
        async () => {
          const s = await status();
          const ready = s?.conditions?.find((c) => c.type === "Ready");
          return ready?.reason === "ModelUnavailable" && ready;
        },
        30_000,
        "Ready=False ModelUnavailable",
      );
      expect(down.status).toBe("False");
      expect(down.message).toContain("alpha/none.txt");
    } finally {
      await scorer.stop();
    }
  }, 180_000);
});
