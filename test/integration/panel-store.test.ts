import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { CLI } from "../../bench/scorer/soak-lib.js";
import { STORE_KEYS } from "../../src/contract/object-layout.js";
import { ENV } from "../../src/contract/env.js";
import { decodePanelPointer, encodePanelPointer, type PanelPointer } from "../../src/panel/pointer.js";
import { ObjectStoreServer } from "../../tools/cluster/object-store.js";
import { freePort } from "../../tools/cluster/ports.js";
import { startObjectStoreFaultProxy, type ObjectStoreFaultProxy } from "../harness/object-store-faults.js";
import type { V1CronJob, V1Deployment } from "@kubernetes/client-node";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { applyMaieDeployments } from "../harness/apply.js";
import { createNamespace, restClient, sharedKubeconfig } from "../harness/cluster.js";
import { eventually, startTestOperator } from "../harness/operator.js";
import { runProcess, startProcess, type RunningProcess } from "../harness/process.js";

/**
 * Prices, panels and a stateless scorer through the object store (issue
 * #17 items 3 and 4), on real parts: the SeaweedFS S3 server, `maie
 * pipeline run` and `maie scorer` as processes, each with its own empty
 * scratch folder as data dir (what a pod without the data volume has). The
 * steps build on each other, day by day.
 */

const BUCKET = "maie";
const PREFIX = "teams/alpha";
const PRICES_BUCKET = "prices";
const MODEL_URI = `s3://${BUCKET}/models/model.txt`;
const POINTER_KEY = `${PREFIX}/${STORE_KEYS.pointer}`;
const SAMPLES = "config/samples/data";

/** The sample prices without their last `drop` dates, or with one more made-up date. */
function prices(change: { drop?: number; addDate?: string }): string {
  const lines = readFileSync(`${SAMPLES}/prices.csv`, "utf8").trimEnd().split("\n");
  const kept = lines.slice(0, lines.length - (change.drop ?? 0));
  if (change.addDate !== undefined) {
    const last = kept.at(-1)!.split(",").slice(1);
    kept.push([change.addDate, ...last.map((c) => (Number(c) * 1.01).toFixed(4))].join(","));
  }
  return kept.join("\n") + "\n";
}

let server: ObjectStoreServer;
let s3: S3Client;
const scratch: string[] = [];
const newScratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "maie-panel-store-"));
  scratch.push(dir);
  return dir;
};

beforeAll(async () => {
  server = await ObjectStoreServer.start({ buckets: [BUCKET, PRICES_BUCKET] });
  s3 = server.client();
  await put(BUCKET, "models/model.txt", readFileSync(`${SAMPLES}/models/lightgbm/model.txt`));
}, 120_000);

afterAll(async () => {
  s3.destroy();
  await server.stop({ removeDir: true });
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

async function put(bucket: string, key: string, body: Uint8Array | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function get(bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

const pointerBytes = () => get(BUCKET, POINTER_KEY);
const pointer = async (): Promise<PanelPointer> => decodePanelPointer(await pointerBytes(), "pointer");

function pipelineEnv(pricesUri: string, endpoint?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...server.env(BUCKET, { prefix: PREFIX, ...(endpoint !== undefined && { endpoint }) }),
    [ENV.dataDir]: newScratch(),
    [ENV.modelUri]: MODEL_URI,
    [ENV.pricesUri]: pricesUri,
    [ENV.panelStore]: "object-store",
    [ENV.logFormat]: "text",
  };
}

const runPipeline = (pricesUri: string) =>
  runProcess(process.execPath, [CLI, "pipeline", "run"], { env: pipelineEnv(pricesUri) });

interface Ready {
  readonly http: number;
  readonly status: string;
  readonly as_of: string | null;
  readonly features_available: string;
  readonly panel_source?: string;
  readonly panel_error?: string;
  readonly model_sha256: string | null;
}

let scorer: { url: string; proc: RunningProcess } | undefined;

async function ready(): Promise<Ready> {
  const res = await fetch(`${scorer!.url}/ready`);
  return { ...((await res.json()) as Omit<Ready, "http">), http: res.status };
}

afterAll(async () => {
  if (scorer === undefined) return;
  scorer.proc.child.kill("SIGTERM");
  await scorer.proc.exited;
});

describe("prices from the bucket, panels published to it, a scorer with no data volume", () => {
  test("day 1: prices from one object; the pipeline publishes and the scorer serves that day", async () => {
    await put(PRICES_BUCKET, "daily/2026-11-26.csv", prices({ drop: 1 }));
    const run = await runPipeline(`s3://${PRICES_BUCKET}/daily/2026-11-26.csv`);
    expect(run.stderr).toContain(`from s3://${PRICES_BUCKET}/daily/2026-11-26.csv`);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`s3://${BUCKET}/${POINTER_KEY}`);
    const p = await pointer();
    expect(p.as_of).toBe("2026-11-26");
    // What the pointer names is there, with the digest it states.
    expect((await get(BUCKET, `${PREFIX}/${p.expected.key}`)).length).toBe(p.expected.size);

    const port = await freePort();
    const dataDir = newScratch(); // empty: nothing on a volume
    const proc = startProcess(
      process.execPath,
      [CLI, "scorer", "--data-dir", dataDir, "--host", "127.0.0.1", "--port", String(port)],
      {
        env: {
          ...process.env,
          ...server.env(BUCKET, { prefix: PREFIX }),
          [ENV.logLevel]: "warn",
          [ENV.modelUri]: MODEL_URI,
          [ENV.panelStore]: "object-store",
          [ENV.panelPollSeconds]: "1",
        },
      },
    );
    scorer = { url: `http://127.0.0.1:${port}`, proc };
    const first = await eventually(
      async () => {
        const r = await ready();
        return r.http === 200 && r;
      },
      60_000,
      `the scorer to be ready (stderr: ${proc.err()})`,
    );
    expect(first).toMatchObject({
      as_of: "2026-11-26",
      features_available: "true",
      panel_source: `s3://${BUCKET}/${POINTER_KEY}`,
    });
    expect(first.panel_error).toBeUndefined();
    const scores = (await (await fetch(`${scorer.url}/score_expected`)).json()) as { as_of: string };
    expect(scores.as_of).toBe("2026-11-26");
    const local = await fetch(`${scorer.url}/explain_local`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ticker: "SYN007" }),
    });
    expect(local.status).toBe(200);
  }, 180_000);

  test("day 2: the newest object under a prefix; the pointer swap reaches the running scorer", async () => {
    await put(PRICES_BUCKET, "daily/2026-11-27.csv", prices({}));
    await put(PRICES_BUCKET, "daily/README.txt", "not prices: ignored");
    const run = await runPipeline(`s3://${PRICES_BUCKET}/daily/`);
    expect(run.stderr).toContain(`from s3://${PRICES_BUCKET}/daily/2026-11-27.csv`);
    expect(run.code).toBe(0);
    const p = await pointer();
    expect(p.as_of).toBe("2026-11-27");
    await eventually(async () => (await ready()).as_of === "2026-11-27", 30_000, "as_of 2026-11-27");
    const report = (await get(BUCKET, `${PREFIX}/${p.report}`)).toString("utf8");
    expect(report).toContain("Top-quintile turnover"); // the previous panel came from the store
  }, 120_000);

  test("missing or absent prices fail the run naming them; the pointer and the scorer stay on day 2", async () => {
    const before = await pointerBytes();
    const missing = await runPipeline(`s3://${PRICES_BUCKET}/daily/2026-11-30.csv`);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/prices: .*s3:\/\/prices\/daily\/2026-11-30\.csv/);
    const empty = await runPipeline(`s3://${PRICES_BUCKET}/nothing-here/`);
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain(`no .csv or .parquet object under s3://${PRICES_BUCKET}/nothing-here/`);
    expect((await pointerBytes()).equals(before)).toBe(true);
    expect(await ready()).toMatchObject({ http: 200, as_of: "2026-11-27" });
  }, 120_000);

  test("a pointer naming a missing or a tampered object: the last good panel serves, /ready says why", async () => {
    const good = await pointerBytes();
    const p = decodePanelPointer(good, "pointer");
    try {
      await put(
        BUCKET,
        POINTER_KEY,
        encodePanelPointer({
          ...p,
          as_of: "2026-11-30",
          expected: { ...p.expected, key: "expected/panels/gone.parquet" },
        }),
      );
      const gone = await eventually(
        async () => {
          const r = await ready();
          return r.panel_error !== undefined && r;
        },
        30_000,
        "panel_error for a missing object",
      );
      expect(gone).toMatchObject({ http: 200, as_of: "2026-11-27" });
      expect(gone.panel_error).toContain("expected/panels/gone.parquet");

      // A pointer naming an object whose bytes are not the ones it states (one bit flipped).
      const panel = await get(BUCKET, `${PREFIX}/${p.expected.key}`);
      const tamperedKey = "expected/panels/tampered.parquet";
      const flipped = Buffer.from(panel);
      const at = flipped.length - 20;
      flipped[at] = (flipped[at] ?? 0) ^ 0x01;
      await put(BUCKET, `${PREFIX}/${tamperedKey}`, flipped);
      await put(
        BUCKET,
        POINTER_KEY,
        encodePanelPointer({ ...p, as_of: "2026-11-30", expected: { ...p.expected, key: tamperedKey } }),
      );
      const tampered = await eventually(
        async () => {
          const r = await ready();
          return r.panel_error?.includes(tamperedKey) === true && r;
        },
        30_000,
        "panel_error for a tampered object",
      );
      expect(tampered).toMatchObject({ http: 200, as_of: "2026-11-27" });
      expect(tampered.panel_error).toMatch(/sha256/);
    } finally {
      await put(BUCKET, POINTER_KEY, good);
    }
    await eventually(async () => (await ready()).panel_error === undefined, 30_000, "the error to clear");
    expect((await ready()).as_of).toBe("2026-11-27");
  }, 120_000);

  test("a pipeline killed between uploads leaves the pointer on the previous day; the next run publishes", async () => {
    await put(PRICES_BUCKET, "daily/2026-11-30.csv", prices({ addDate: "2026-11-30" }));
    const before = await pointerBytes();
    let proxy: ObjectStoreFaultProxy | undefined;
    try {
      proxy = await startObjectStoreFaultProxy(server.endpoint);
      // Hold the panel's upload (report, history and features are through by then) and kill the run there.
      proxy.set(
        { kind: "slow", delayMs: 600_000 },
        { match: (req) => req.method === "PUT" && (req.url ?? "").includes("/expected/panels/") },
      );
      const run = startProcess(process.execPath, [CLI, "pipeline", "run"], {
        env: pipelineEnv(`s3://${PRICES_BUCKET}/daily/`, proxy.url),
      });
      const held = proxy;
      await eventually(async () => held.injected >= 1, 120_000, `the panel upload (stderr: ${run.err()})`);
      run.child.kill("SIGKILL");
      await run.exited;
      const p = await pointer();
      expect((await pointerBytes()).equals(before)).toBe(true);
      expect(p.as_of).toBe("2026-11-27");
      // The day's history went up before the kill: uploaded, but named by no pointer.
      expect((await get(BUCKET, `${PREFIX}/expected/history/2026-11-30.parquet`)).length).toBeGreaterThan(0);
      expect(await ready()).toMatchObject({ http: 200, as_of: "2026-11-27" });
    } finally {
      await proxy?.close();
    }

    const again = await runPipeline(`s3://${PRICES_BUCKET}/daily/`);
    expect(again.code).toBe(0);
    expect((await pointer()).as_of).toBe("2026-11-30");
    await eventually(async () => (await ready()).as_of === "2026-11-30", 30_000, "as_of 2026-11-30");
  }, 240_000);

  test("the store down: the scorer keeps serving its panels with the reason on /ready, and recovers", async () => {
    await server.kill();
    try {
      const down = await eventually(
        async () => {
          const r = await ready();
          return r.panel_error !== undefined && r;
        },
        60_000,
        "panel_error while the store is down",
      );
      expect(down).toMatchObject({ http: 200, as_of: "2026-11-30" });
      expect(down.panel_error).toMatch(/unavailable|ECONNREFUSED/);
    } finally {
      await server.launch();
    }
    await eventually(async () => (await ready()).panel_error === undefined, 60_000, "the error to clear");
    expect(await ready()).toMatchObject({ http: 200, as_of: "2026-11-30" });
  }, 180_000);
});

describe("the operator on the real control plane: a stateless scorer and a volume-free pipeline", () => {
  test("no data volume, label or affinity; the default spread; the env to follow the store; an idle resync writes nothing", async () => {
    const kubeconfig = sharedKubeconfig();
    const client = await restClient(kubeconfig);
    const ns = await createNamespace(client, "panel-store");
    const operator = await startTestOperator(kubeconfig, ns, { resyncSeconds: "5" });
    try {
      await applyMaieDeployments(kubeconfig, ns, [
        {
          name: "alpha",
          spec: {
            model: { uri: MODEL_URI },
            objectStore: { bucket: BUCKET, prefix: PREFIX, endpoint: server.endpoint, forcePathStyle: true },
            pipeline: { prices: { uri: `s3://${PRICES_BUCKET}/daily/` } },
          },
        },
      ]);
      const deployment = await eventually(
        () =>
          client
            .request<V1Deployment>("GET", resourcePath(RESOURCE_TYPES.Deployment, ns, "alpha"))
            .catch(() => undefined),
        30_000,
        "the scorer Deployment",
      );
      const pod = deployment.spec!.template;
      expect((pod.spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim !== undefined)).toEqual([]);
      expect(pod.spec?.affinity).toBeUndefined();
      expect(pod.spec?.topologySpreadConstraints?.map((c) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
        ["kubernetes.io/hostname", "ScheduleAnyway"],
        ["topology.kubernetes.io/zone", "ScheduleAnyway"],
      ]);
      expect(pod.spec?.containers[0]?.env).toContainEqual({ name: ENV.panelStore, value: "object-store" });
      const cronJob = await client.request<V1CronJob>(
        "GET",
        resourcePath(RESOURCE_TYPES.CronJob, ns, "alpha-pipeline"),
      );
      const job = cronJob.spec.jobTemplate.spec?.template;
      expect((job?.spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim !== undefined)).toEqual([]);
      expect(job?.spec?.containers[0]?.env).toContainEqual({
        name: ENV.pricesUri,
        value: `s3://${PRICES_BUCKET}/daily/`,
      });

      // What the apiserver stored compares equal to what the operator wants: no re-apply on resync.
      await new Promise((r) => setTimeout(r, 3000));
      operator.resetWrites();
      const reconciles = async () =>
        (await operator.handle.metrics.reconcileTotal.get()).values.reduce((a, v) => a + v.value, 0);
      const before = await reconciles();
      await new Promise((r) => setTimeout(r, 11_000));
      expect((await reconciles()) - before).toBeGreaterThanOrEqual(2); // the resync really ran
      expect(operator.writes().filter((w) => !w.path.endsWith("/status"))).toEqual([]);
    } finally {
      await operator.handle.stop();
      client.close();
    }
  }, 120_000);
});
