import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CLI, prepareSampleData } from "../../bench/scorer/soak-lib.js";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ENV, MLFLOW_ENV, OBJECT_STORE_ENV } from "../../src/contract/env.js";
import type { KubeObject } from "../../src/kube/object.js";
import type { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { MlflowServer, type RegisteredVersion } from "../../tools/cluster/mlflow-server.js";
import { ObjectStoreServer } from "../../tools/cluster/object-store.js";
import { applyMaieDeployments } from "../harness/apply.js";
import { kubectl } from "../harness/cluster.js";
import {
  eventually,
  markPodsReady,
  operatorInNewNamespace,
  type OperatorInNamespace,
} from "../harness/operator.js";
import { runProcess } from "../harness/process.js";
import {
  loopbackPodIP,
  maieStatus,
  readyWhen,
  startScorerProcess,
  type ScorerProcess,
} from "../harness/scorer-process.js";

/**
 * Models from the MLflow Model Registry (spec.model.uri models:/…), on real
 * parts: `mlflow server` from PyPI with a SQLite backend and its artifact
 * proxy, models logged by mlflow.lightgbm and mlflow.xgboost and aliased by
 * MLflow's own client (tools/mlflow/registry.py), `maie scorer` and `maie
 * pipeline run` as processes, and the operator on the real control plane
 * reading what the scorer says it serves into status.model.
 */

const NAME = "maie-alpha";
const CHAMPION = `models:/${NAME}@champion`;
const SAMPLES = resolve("config/samples/data/models");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let mlflow: MlflowServer;
let dir: string;
let dataDir: string;
let v1: RegisteredVersion;
let v2: RegisteredVersion;
let pyfunc: RegisteredVersion;

/** The model file MLflow stored for a run, read from its artifact store on disk (not through our client). */
function artifactSha(flavorFile: string, runId: string): string {
  const root = join(mlflow.dir, "artifacts");
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e === flavorFile) found.push(p);
    }
  };
  walk(root);
  const mine = found.filter((p) => readFileSync(join(p, "../MLmodel"), "utf8").includes(`run_id: ${runId}`));
  if (mine.length !== 1) throw new Error(`expected one ${flavorFile} of run ${runId}, found ${mine.length}`);
  return sha(readFileSync(mine[0] ?? ""));
}

beforeAll(async () => {
  mlflow = await MlflowServer.start();
  dir = mkdtempSync(join(tmpdir(), "maie-mlflow-test-"));
  dataDir = prepareSampleData(dir).dataDir;
  v1 = await mlflow.register(NAME, "lightgbm", join(SAMPLES, "lightgbm/model.txt"), "champion");
  v2 = await mlflow.register(NAME, "xgboost", join(SAMPLES, "xgboost/model.xgb.json"));
  pyfunc = await mlflow.register(NAME, "pyfunc");
}, 300_000);

afterAll(async () => {
  await mlflow.stop({ removeDir: true });
  rmSync(dir, { recursive: true, force: true });
});

/** `maie scorer` following the champion alias of this file's registry, unless `env` says otherwise. */
const startScorer = (env: Record<string, string>, host?: string, metricsPort?: number) =>
  startScorerProcess({
    dataDir,
    env: { ...mlflow.env(), [ENV.modelUri]: CHAMPION, ...env },
    ...(host !== undefined && { host }),
    ...(metricsPort !== undefined && { metricsPort }),
  });

describe("maie scorer serving models:/ URIs from a real MLflow registry", () => {
  test("follows the alias: v1 (lightgbm) served, the alias moved to v2 (xgboost) swaps it live; the registry down mid-run, a version of another flavor and a deleted one each leave the last good model serving with a clear error", async () => {
    await mlflow.setAlias(NAME, "champion", v1.version);
    const scorer = await startScorer({});
    try {
      const first = await readyWhen(scorer, "v1 served", (r) => r.model_registry?.version === v1.version);
      expect(first).toMatchObject({
        http: 200,
        model_sha256: artifactSha("model.lgb", v1.runId),
        model_registry: { name: NAME, alias: "champion", version: v1.version, run_id: v1.runId },
      });
      expect(first.model_error).toBeUndefined();

      await mlflow.setAlias(NAME, "champion", v2.version);
      const second = await readyWhen(scorer, "v2 served", (r) => r.model_registry?.version === v2.version);
      expect(second.model_sha256).toBe(artifactSha("model.ubj", v2.runId));
      expect((await fetch(`${scorer.url}/score_expected`)).status).toBe(200);

      // Down mid-run: the model stays, the error names the server; back up, the error clears.
      await mlflow.stop();
      const down = await readyWhen(scorer, "the outage reported", (r) => r.model_error !== undefined);
      expect(down).toMatchObject({ http: 200, model_sha256: second.model_sha256 });
      expect(down.model_error).toContain(`MLflow at ${mlflow.url} did not answer`);
      await mlflow.launch();
      await readyWhen(scorer, "the error cleared", (r) => r.model_error === undefined);

      // A version MAIE cannot serve: named, with the flavor; v2 keeps serving.
      await mlflow.setAlias(NAME, "champion", pyfunc.version);
      const refused = await readyWhen(
        scorer,
        "the pyfunc version refused",
        (r) => r.model_error !== undefined,
      );
      expect(refused).toMatchObject({ http: 200, model_sha256: second.model_sha256 });
      expect(refused.model_error).toContain(`${NAME}@champion→v${pyfunc.version}`);
      expect(refused.model_error).toContain("flavors are python_function");
      expect(refused.model_registry?.version).toBe(v2.version);

      // Deleting the version the alias points to removes the alias in MLflow: named, v2 still serving.
      await mlflow.deleteVersion(NAME, pyfunc.version);
      const gone = await readyWhen(
        scorer,
        "the alias gone",
        (r) => r.model_error?.includes("alias champion not found") === true,
      );
      expect(gone).toMatchObject({ http: 200, model_sha256: second.model_sha256 });
      expect(gone.model_error).toContain(CHAMPION);
    } finally {
      await scorer.stop();
    }
  }, 180_000);

  test("a pinned version is served and never asked for again; a missing version is refused by name", async () => {
    const pinnedVersion = await mlflow.register(NAME, "lightgbm", join(SAMPLES, "lightgbm/model.txt"));
    const pinned = await startScorer({ [ENV.modelUri]: `models:/${NAME}/${pinnedVersion.version}` });
    try {
      const r = await readyWhen(pinned, "the pinned version", (x) => x.model_sha256 !== null);
      expect(r.model_registry).toEqual({
        name: NAME,
        version: pinnedVersion.version,
        run_id: pinnedVersion.runId,
      });
      // Deleted in the registry: a pod that asked again (every second) would report it; this one never asks.
      await mlflow.deleteVersion(NAME, pinnedVersion.version);
      await new Promise((done) => setTimeout(done, 3_000));
      expect(await pinned.ready()).toMatchObject({ http: 200, model_sha256: r.model_sha256 });
      expect((await pinned.ready()).model_error).toBeUndefined();
    } finally {
      await pinned.stop();
    }
    const missing = await startScorer({ [ENV.modelUri]: `models:/${NAME}/99` });
    try {
      const r = await readyWhen(missing, "the missing version refused", (x) => x.model_error !== undefined);
      expect(r).toMatchObject({ http: 503, model_sha256: null });
      expect(r.model_error).toContain(`models:/${NAME}/99`);
      expect(r.model_error).toContain("version=99) not found");
    } finally {
      await missing.stop();
    }
  }, 120_000);

  test("the registry down at start: a clear error, then the model as soon as it answers", async () => {
    await mlflow.setAlias(NAME, "champion", v1.version);
    await mlflow.stop();
    let scorer: ScorerProcess | undefined;
    try {
      scorer = await startScorer({});
      const r = await readyWhen(scorer, "the outage reported", (x) => x.model_error !== undefined);
      expect(r).toMatchObject({ http: 503, model_sha256: null });
      expect(r.model_error).toContain("is the tracking server up");
    } finally {
      await mlflow.launch();
    }
    try {
      await readyWhen(scorer, "v1 once the registry is up", (x) => x.model_registry?.version === v1.version);
    } finally {
      await scorer.stop();
    }
  }, 120_000);

  test("maie pipeline run scores with the registered version and says which", async () => {
    await mlflow.setAlias(NAME, "champion", v1.version);
    const run = await runProcess(
      process.execPath,
      [CLI, "pipeline", "run", "--data-dir", dataDir, "--log-format", "text"],
      {
        env: { ...process.env, ...mlflow.env(), [ENV.modelUri]: CHAMPION },
      },
    );
    expect(run.stderr).toContain(`from ${CHAMPION} (${NAME}@champion→v${v1.version})`);
    expect(run.code).toBe(0);
  }, 120_000);
});

describe("a tracking server that requires credentials", () => {
  let secured: MlflowServer | undefined;
  beforeAll(async () => {
    secured = await MlflowServer.start({ auth: true });
  }, 120_000);
  afterAll(async () => {
    await secured?.stop({ removeDir: true });
  });

  test("no credentials or a wrong password: refused, naming the Secret's keys; the right ones: served", async () => {
    if (secured === undefined) throw new Error("the secured server did not start");
    const version = await secured.register(NAME, "lightgbm", join(SAMPLES, "lightgbm/model.txt"), "champion");
    const env = secured.env();
    for (const wrong of <Record<string, string>[]>[
      { [MLFLOW_ENV.username]: "", [MLFLOW_ENV.password]: "" },
      { [MLFLOW_ENV.password]: "not-the-password" },
    ]) {
      const scorer = await startScorer({ ...env, ...wrong });
      try {
        const r = await readyWhen(scorer, "refused", (x) => x.model_error !== undefined);
        expect(r).toMatchObject({ http: 503, model_sha256: null });
        expect(r.model_error).toContain("refused the credentials (401");
        expect(r.model_error).toContain(MLFLOW_ENV.password);
      } finally {
        await scorer.stop();
      }
    }
    const scorer = await startScorer(env);
    try {
      await readyWhen(scorer, "served", (x) => x.model_registry?.version === version.version);
    } finally {
      await scorer.stop();
    }
  }, 180_000);
});

describe("a registry whose artifact store is an S3 bucket", () => {
  const BUCKET = "mlflow";
  let store: ObjectStoreServer | undefined;
  let registry: MlflowServer | undefined;

  beforeAll(async () => {
    store = await ObjectStoreServer.start({ buckets: [BUCKET] });
    const keys = store.env(BUCKET);
    registry = await MlflowServer.start({
      s3Artifacts: {
        root: `s3://${BUCKET}/artifacts`,
        env: {
          MLFLOW_S3_ENDPOINT_URL: store.endpoint,
          AWS_ACCESS_KEY_ID: keys[OBJECT_STORE_ENV.accessKeyId] ?? "",
          AWS_SECRET_ACCESS_KEY: keys[OBJECT_STORE_ENV.secretAccessKey] ?? "",
          AWS_DEFAULT_REGION: keys[OBJECT_STORE_ENV.region] ?? "",
        },
      },
    });
  }, 240_000);

  afterAll(async () => {
    await registry?.stop({ removeDir: true });
    await store?.stop({ removeDir: true });
  });

  test("the pods read the version's files from the bucket through the resource's object store; without one, the error says to set it", async () => {
    if (store === undefined || registry === undefined) throw new Error("the servers did not start");
    const version = await registry.register(
      NAME,
      "lightgbm",
      join(SAMPLES, "lightgbm/model.txt"),
      "champion",
    );
    // The model file as MLflow's client wrote it into the bucket, read with the store's own client.
    const s3 = store.client();
    let expected: string;
    try {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "artifacts/" }));
      const keys = (listed.Contents ?? []).map((o) => o.Key ?? "").filter((k) => k.endsWith("/model.lgb"));
      expect(keys).toHaveLength(1);
      const body = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: keys[0] }));
      expected = sha(await body.Body!.transformToByteArray());
    } finally {
      s3.destroy();
    }

    const scorer = await startScorer({ ...registry.env(), ...store.env(BUCKET) });
    try {
      const r = await readyWhen(scorer, "the version from the bucket", (x) => x.model_sha256 !== null);
      expect(r).toMatchObject({ http: 200, model_sha256: expected });
      expect(r.model_registry).toMatchObject({ name: NAME, alias: "champion", version: version.version });
    } finally {
      await scorer.stop();
    }
    const storeless = await startScorer(registry.env());
    try {
      const r = await readyWhen(storeless, "refused", (x) => x.model_error !== undefined);
      expect(r).toMatchObject({ http: 503, model_sha256: null });
      expect(r.model_error).toContain(`the registry's artifact store s3://${BUCKET}/artifacts/`);
      expect(r.model_error).toContain("set spec.objectStore");
    } finally {
      await storeless.stop();
    }
  }, 180_000);
});

describe("the operator reports the registered version the pods serve", () => {
  let client: RestClient;
  let ns: string;
  let kubeconfig: string;
  const CR = "alpha";
  const SCORER_PODS = `app.kubernetes.io/instance=${CR},app.kubernetes.io/component=scorer`;
  const podIP = loopbackPodIP();

  let setup: OperatorInNamespace;

  beforeAll(async () => {
    setup = await operatorInNewNamespace("mlflow");
    ({ kubeconfig, client, namespace: ns } = setup);
  }, 60_000);

  afterAll(() => setup.stop());

  const status = () => maieStatus(client, ns, CR);

  test("the CRD refuses a models:/ URI without a tracking server, and a malformed one", async () => {
    const apply = (model: object) =>
      kubectl(
        kubeconfig,
        ["-n", ns, "apply", "--dry-run=server", "-f", "-"],
        JSON.stringify({
          apiVersion: "maie.io/v1alpha1",
          kind: "MaieDeployment",
          metadata: { name: "bad" },
          spec: { model },
        }),
      );
    const noServer = await apply({ uri: CHAMPION });
    expect(noServer.code).not.toBe(0);
    expect(noServer.stderr).toContain("set model.mlflow.trackingUri");
    const stage = await apply({ uri: `models:/${NAME}/Production`, mlflow: { trackingUri: mlflow.url } });
    expect(stage.code).not.toBe(0);
    expect(stage.stderr).toContain("spec.model.uri in body should match");
    const stray = await apply({
      uri: "https://models.example.com/a.txt",
      mlflow: { trackingUri: mlflow.url },
    });
    expect(stray.code).not.toBe(0);
    expect(stray.stderr).toContain("model.mlflow is only used with a models:/ uri");
  });

  test("status.model and kubectl get show name@alias→vN; moving the alias is an event; a version that fails to load is Degraded naming it, Ready kept", async () => {
    await mlflow.setAlias(NAME, "champion", v1.version);
    await applyMaieDeployments(kubeconfig, ns, [
      {
        name: CR,
        spec: {
          replicas: 1,
          model: {
            uri: CHAMPION,
            pollInterval: "1s",
            mlflow: { trackingUri: mlflow.url, credentials: { secretRef: { name: "mlflow-token" } } },
          },
        },
      },
    ]);
    // The pods learn the server and the Secret's keys from the environment the operator sets.
    const deployment = await eventually(() =>
      client
        .request<
          KubeObject & {
            spec: {
              template: {
                spec: {
                  containers: {
                    name: string;
                    env?: { name: string; value?: string; valueFrom?: unknown }[];
                  }[];
                };
              };
            };
          }
        >("GET", resourcePath(RESOURCE_TYPES.Deployment, ns, CR))
        .catch(() => undefined),
    );
    const env = deployment.spec.template.spec.containers.find((c) => c.name === "scorer")?.env ?? [];
    expect(env).toEqual(
      expect.arrayContaining([
        { name: ENV.modelUri, value: CHAMPION },
        { name: MLFLOW_ENV.trackingUri, value: mlflow.url },
        {
          name: MLFLOW_ENV.token,
          valueFrom: { secretKeyRef: { name: "mlflow-token", key: MLFLOW_ENV.token, optional: true } },
        },
      ]),
    );

    const scorer = await startScorer({}, podIP, 9090);
    try {
      await eventually(
        async () => (await markPodsReady(client, ns, SCORER_PODS, podIP)) === 1,
        30_000,
        "the pod",
      );
      const first = await eventually(
        async () => {
          const s = await status();
          return s?.model?.registry?.version === v1.version && s;
        },
        30_000,
        "status.model to show v1",
      );
      expect(first.model?.registry).toEqual({
        name: NAME,
        alias: "champion",
        version: v1.version,
        runId: v1.runId,
        ref: `${NAME}@champion→v${v1.version}`,
      });
      const table = await kubectl(kubeconfig, ["-n", ns, "get", "maie", CR]);
      expect(table.stdout).toMatch(/^NAME +READY +REPLICAS +MODEL +REGISTERED +/m);
      expect(table.stdout).toContain(`${NAME}@champion→v${v1.version}`);

      await mlflow.setAlias(NAME, "champion", v2.version);
      await eventually(
        async () => (await status())?.model?.registry?.version === v2.version,
        30_000,
        "v2 in status",
      );
      const events = await client.request<{ items: { reason?: string; note?: string }[] }>(
        "GET",
        `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
      );
      expect(events.items.filter((e) => e.reason === "ModelChanged").map((e) => e.note)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(
              `serve ${NAME}@champion→v${v2.version}, sha256:\\w{12} \\(run ${v2.runId}\\).*\\(was ${NAME}@champion→v${v1.version}, `,
            ),
          ),
        ]),
      );

      const broken = await mlflow.register(NAME, "pyfunc", undefined, "champion");
      const degraded = await eventually(
        async () => {
          const s = await status();
          const c = s?.conditions?.find((x) => x.type === "Degraded");
          return s !== undefined && c?.reason === "ModelUpdateFailed" && { s, c };
        },
        30_000,
        "Degraded=True ModelUpdateFailed",
      );
      expect(degraded.c.status).toBe("True");
      expect(degraded.c.message).toContain(`keep serving ${NAME}@champion→v${v2.version}`);
      expect(degraded.c.message).toContain(`${NAME}@champion→v${broken.version}`);
      expect(degraded.s.model?.registry?.version).toBe(v2.version);
      expect(degraded.s.conditions?.find((x) => x.type === "Ready")?.reason).not.toBe("ModelUpdateFailed");

      await mlflow.setAlias(NAME, "champion", v1.version);
      await eventually(
        async () => (await status())?.conditions?.find((x) => x.type === "Degraded")?.status === "False",
        30_000,
        "Degraded cleared once a good version is aliased",
      );
    } finally {
      await scorer.stop();
    }
  }, 240_000);
});
