import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { ServedModel } from "../../src/api/status.js";
import { MlflowServer } from "../../tools/cluster/mlflow-server.js";
import {
  forwardIntoNodeNetwork,
  NODE_MLFLOW_PORT,
  NODE_S3_PORT,
  nodeAddress,
} from "../../tools/cluster/node-network.js";
import { ObjectStoreServer } from "../../tools/cluster/object-store.js";
import { kubectl } from "../harness/cluster.js";
import { eventually } from "../harness/operator.js";
import { builtKubernetesVersion } from "../harness/kube-version.js";
import {
  E2E_NODES,
  e2eKubeconfig,
  ensureOperator,
  k,
  portForward,
  serviceProxyClient,
  shell,
  shellBlockAfter,
} from "../harness/e2e.js";

/**
 * The product as a platform engineer meets it, on real nodes: the operator
 * installed by its Helm chart and running in-cluster, the sample resource,
 * the docs' first-data commands typed verbatim, pods Ready, the scorer
 * answering through kubectl port-forward, Jobs from the CronJobs, backup and
 * restore, scale and delete. One story: each step builds on the last.
 */

const ns = "research"; // the namespace docs/operations.md uses
const cr = "alpha"; // the sample resource's name
const operations = readFileSync("docs/operations.md", "utf8");
/** `kubectl get events` of the sample resource's model swaps. */
const MODEL_CHANGED_EVENTS = ["-n", ns, "get", "events", "--field-selector", "reason=ModelChanged"];

interface PodList {
  items: {
    metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
    spec: { nodeName?: string };
    status: {
      phase: string;
      conditions?: { type: string; status: string }[];
      containerStatuses?: { restartCount: number }[];
    };
  }[];
}

async function scorerPods(): Promise<PodList["items"]> {
  const out = await k([
    "-n",
    ns,
    "get",
    "pods",
    "-l",
    `app.kubernetes.io/instance=${cr},app.kubernetes.io/component=scorer`,
    "-o",
    "json",
  ]);
  // A terminating pod (preStop sleep, grace period) is on its way out: not one of the scorer's pods any more.
  return (JSON.parse(out) as PodList).items.filter((p) => p.metadata.deletionTimestamp === undefined);
}

/** The volumes of the scorer Deployment's pod template, by name. */
async function scorerVolumes(): Promise<string[]> {
  const names = await k([
    "-n",
    ns,
    "get",
    "deployment",
    cr,
    "-o",
    "jsonpath={.spec.template.spec.volumes[*].name}",
  ]);
  return names.split(" ");
}

function podReady(p: PodList["items"][number]): boolean {
  return p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
}

async function condition(
  type: string,
): Promise<{ status: string; reason: string; message: string } | undefined> {
  const out = await k(["-n", ns, "get", "maie", cr, "-o", "json"]);
  const status = (
    JSON.parse(out) as {
      status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
    }
  ).status;
  return status?.conditions?.find((c) => c.type === type);
}

async function leaseHolder(): Promise<string> {
  const leases = JSON.parse(await k(["-n", "maie-system", "get", "lease", "-o", "json"])) as {
    items: { spec: { holderIdentity?: string } }[];
  };
  const holder = leases.items.map((l) => l.spec.holderIdentity).find((h) => h !== undefined && h !== "");
  if (holder === undefined) throw new Error("no lease holder yet");
  return holder;
}

async function jobComplete(name: string): Promise<void> {
  const done = await k(["-n", ns, "wait", "--for=condition=complete", `job/${name}`, "--timeout=150s"]).then(
    () => true,
    () => false,
  );
  if (!done) {
    // Say why: the Job's pods and their events, instead of a bare timeout.
    const why = await k(["-n", ns, "describe", "job,pod", "-l", `job-name=${name}`]).catch((e: unknown) =>
      String(e),
    );
    throw new Error(`job ${name} did not complete:\n${why}`);
  }
}

/** A merge patch of the sample resource's spec, as `kubectl patch maie --type merge` does it. */
function patchSpec(spec: unknown): Promise<string> {
  return k(["-n", ns, "patch", "maie", cr, "--type", "merge", "-p", JSON.stringify({ spec })]);
}

describe("MAIE on real nodes", () => {
  let applyStarted = 0;

  test(`the cluster has ${E2E_NODES} Ready nodes of the built Kubernetes version`, async () => {
    const nodes = JSON.parse(await k(["get", "nodes", "-o", "json"])) as {
      items: { status: { nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string } } }[];
    };
    expect(nodes.items).toHaveLength(E2E_NODES);
    for (const n of nodes.items) {
      expect(n.status.nodeInfo.kubeletVersion).toBe(builtKubernetesVersion());
      expect(n.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    }
  });

  test("the operator installs from its Helm chart and runs in-cluster: 2 replicas, one leader", async () => {
    await ensureOperator();
    const deploy = JSON.parse(await k(["-n", "maie-system", "get", "deploy", "-o", "json"])) as {
      items: { metadata: { name: string }; status: { readyReplicas?: number } }[];
    };
    expect(deploy.items).toHaveLength(1);
    expect(deploy.items[0]!.status.readyReplicas).toBe(2);
    const holder = await eventually(
      async () => {
        const leases = JSON.parse(await k(["-n", "maie-system", "get", "lease", "-o", "json"])) as {
          items: { spec: { holderIdentity?: string } }[];
        };
        return leases.items.map((l) => l.spec.holderIdentity).find((h) => h !== undefined && h !== "");
      },
      60_000,
      "a leader lease",
    );
    const pods = await k(["-n", "maie-system", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}"]);
    expect(pods.split(" ")).toContain(holder);
  });

  test("deleting the leader pod hands leadership to the other replica", async () => {
    const holder = await leaseHolder();
    await k(["-n", "maie-system", "delete", "pod", holder, "--wait=false"]);
    const next = await eventually(
      async () => {
        const h = await leaseHolder().catch(() => undefined);
        return h !== undefined && h !== holder ? h : undefined;
      },
      120_000,
      "a new leader",
    );
    const pods = await k(["-n", "maie-system", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}"]);
    expect(pods.split(" ")).toContain(next);
  });

  test("the sample resource: scorer pods run on one node (shared ReadWriteOnce volume), not ready until data arrives", async () => {
    await k(["create", "namespace", ns]);
    applyStarted = Date.now();
    await k(["apply", "--server-side", "-n", ns, "-f", "config/samples/maie_v1alpha1_maiedeployment.yaml"]);
    const pods = await eventually(
      async () => {
        const p = await scorerPods();
        return p.length === 2 && p.every((x) => x.status.phase === "Running") ? p : undefined;
      },
      180_000,
      "two Running scorer pods",
    );
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(1);
    expect(pods.some(podReady)).toBe(false);
    const ready = await condition("Ready");
    expect(ready?.status).toBe("False");
  });

  test("first data by the docs' own commands: the pipeline Job completes and the resource goes Ready 2/2", async () => {
    const block = shellBlockAfter(operations, "## First data");
    const result = await shell(block);
    if (result.code !== 0) throw new Error(`docs/operations.md#first-data failed:\n${result.output}`);
    const get = await k(["-n", ns, "get", "maie", cr]);
    expect(get).toMatch(new RegExp(`^${cr}\\s+True\\s+2/2`, "m"));
    const seconds = ((Date.now() - applyStarted) / 1000).toFixed(1);
    process.stderr.write(
      `apply -> Ready=True in ${seconds} s (incl. first data)\n${await k(["-n", ns, "get", "maie,deploy,po,job", "-o", "wide"])}\n`,
    );
  });

  test("the scorer answers through kubectl port-forward to the Service", async () => {
    const pf = await portForward(ns, `svc/${cr}`, 8000);
    try {
      const expected = (await (await fetch(`${pf.url}/score_expected`)).json()) as {
        alpha: Record<string, number>;
      };
      const tickers = Object.keys(expected.alpha);
      expect(tickers.length).toBeGreaterThan(0);
      const res = await fetch(`${pf.url}/explain_local`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ticker: tickers[0], top_k: 3 }),
      });
      expect(res.status).toBe(200);
      const explained = (await res.json()) as {
        top_features: unknown[];
        base_value: number;
        prediction: number;
      };
      expect(explained.top_features).toHaveLength(3);
      // /metrics is on the management port (Service port metrics), not the API port.
      expect((await fetch(`${pf.url}/metrics`)).status).toBe(404);
      const mf = await portForward(ns, `svc/${cr}`, 9090);
      try {
        const metrics = await (await fetch(`${mf.url}/metrics`)).text();
        expect(metrics).toMatch(/^maie_model_loaded 1$/m);
      } finally {
        mf.stop();
      }
    } finally {
      pf.stop();
    }
  });

  test("a spec change rolls the scorer with zero failed requests under steady load (readiness, preStop, PDB, surge)", async () => {
    const get = serviceProxyClient(ns, `${cr}:http`);
    const before = await scorerPods().then((pods) => pods.map((p) => p.metadata.name));
    const codes: number[] = [];
    let rolling = true;
    const load = async () => {
      while (rolling) {
        codes.push(await get("/score_expected"));
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const workers = [load(), load()];
    await new Promise((r) => setTimeout(r, 2_000));
    await patchSpec({ podAnnotations: { "maie.io/e2e-roll": "1" } });
    await eventually(
      async () => {
        const now = await scorerPods().then((pods) => pods.map((p) => p.metadata.name));
        return now.length > 0 && now.every((p) => !before.includes(p)) ? true : undefined;
      },
      180_000,
      "every scorer pod replaced",
    );
    await k(["-n", ns, "rollout", "status", `deploy/${cr}`, "--timeout=180s"]);
    await new Promise((r) => setTimeout(r, 2_000));
    rolling = false;
    await Promise.all(workers);
    const failed = codes.filter((c) => c !== 200);
    process.stderr.write(`rolling update under load: ${codes.length} requests, ${failed.length} not 200\n`);
    expect(codes.length).toBeGreaterThan(50);
    expect(failed).toEqual([]);
  });

  test("a new model written into the volume through a loader pod is swapped live, without a restart; the scorer cannot write there", async () => {
    const [pod] = await scorerPods();
    const model = readFileSync("config/samples/data/models/lightgbm/model.txt", "utf8");
    // The same trees with a different file: a new sha256 the scorer must report.
    const changed = `${model.trimEnd()}\n\n`;
    const sha = createHash("sha256").update(changed).digest("hex");
    const write = ["sh", "-c", "cat > /data/models/.new && mv /data/models/.new /data/models/model.txt"];
    const fromScorer = await kubectl(
      e2eKubeconfig(),
      ["-n", ns, "exec", "-i", pod!.metadata.name, "-c", "scorer", "--", ...write],
      changed,
    );
    expect(fromScorer.code).not.toBe(0);
    expect(fromScorer.stderr).toContain("Read-only file system");
    await k(["-n", ns, "create", "job", "--from=cronjob/alpha-loader", "alpha-swap"]);
    await k(["-n", ns, "wait", "--for=jsonpath={.status.ready}=1", "job/alpha-swap", "--timeout=120s"]);
    const loader = (await k(["-n", ns, "get", "pod", "-l", "job-name=alpha-swap", "-o", "name"])).trim();
    await k(["-n", ns, "exec", "-i", loader, "--", ...write], changed);
    await k(["-n", ns, "delete", "job", "alpha-swap", "--wait=false"]);
    for (const p of await scorerPods()) {
      await eventually(
        async () => {
          const metrics = await k([
            "-n",
            ns,
            "exec",
            p.metadata.name,
            "-c",
            "scorer",
            "--",
            "node",
            "-e",
            "fetch('http://127.0.0.1:9090/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))",
          ]);
          return metrics.includes(`sha256="${sha}"`);
        },
        60_000,
        `${p.metadata.name} serving the new model`,
      );
      expect(p.status.containerStatuses?.every((c) => c.restartCount === 0)).toBe(true);
    }
  });

  test("object-store mode: model and prices in a bucket, panels published there, scorers without a volume; status shows what they serve; a new object swaps live; a pin rolls; a bad pin leaves the old model serving", async () => {
    // The test's S3 server on the host, reachable from every node and pod at the first node's IP.
    const store = await ObjectStoreServer.start({ buckets: ["models"] });
    const forward = await forwardIntoNodeNetwork(
      process.env["MAIE_E2E_NETNS"] ?? "",
      process.env["MAIE_E2E_CLUSTER_DIR"] ?? "",
      new URL(store.endpoint).port === "" ? 80 : Number(new URL(store.endpoint).port),
      NODE_S3_PORT,
    );
    const s3 = store.client();
    try {
      const modelA = readFileSync("config/samples/data/models/lightgbm/model.txt");
      const modelB = readFileSync("config/samples/data/models/xgboost/model.xgb.json");
      const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
      const put = (body: Buffer) =>
        s3.send(new PutObjectCommand({ Bucket: "models", Key: "alpha/model", Body: body }));
      await put(modelA);
      const keys = store.env("models");
      await k(
        ["-n", ns, "apply", "-f", "-"],
        JSON.stringify({
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "maie-s3" },
          stringData: {
            AWS_ACCESS_KEY_ID: keys["AWS_ACCESS_KEY_ID"],
            AWS_SECRET_ACCESS_KEY: keys["AWS_SECRET_ACCESS_KEY"],
          },
        }),
      );
      const served = async () =>
        (
          JSON.parse(await k(["-n", ns, "get", "maie", cr, "-o", "json"])) as {
            status?: { model?: ServedModel };
          }
        ).status?.model;

      const bothServe = (digest: string, timeoutMs: number, what: string) =>
        eventually(
          async () => {
            const m = await served();
            if (m?.sha256 === digest && m.serving === "2/2") return true;
            // The timeout then says what the pods reported instead.
            throw new Error(`status.model is ${JSON.stringify(m)}`);
          },
          timeoutMs,
          `both pods serving ${what}`,
        );

      // Object-store mode: model and prices in the bucket, the pipeline publishes the panels there
      // (pointer last) and the scorer pods need no data volume.
      await s3.send(
        new PutObjectCommand({
          Bucket: "models",
          Key: "prices/2026-11-27.csv",
          Body: readFileSync("config/samples/data/prices.csv"),
        }),
      );
      await patchSpec({
        objectStore: {
          bucket: "models",
          endpoint: `http://${nodeAddress(1).ip}:${NODE_S3_PORT}`,
          forcePathStyle: true,
          credentials: { secretRef: { name: "maie-s3" } },
        },
        // auto: model B is an XGBoost model, which the sample's lightgbm would refuse.
        model: { uri: "s3://models/alpha/model", format: "auto", pollInterval: "5s" },
        pipeline: { prices: { uri: "s3://models/prices/" } },
      });
      // The new scorer pods wait for published panels: wait until the operator has changed the
      // Deployment and the CronJob, run the pipeline once, then wait for the rollout.
      await eventually(
        async () =>
          (await k(["-n", ns, "get", "deployment,cronjob", "-o", "json"])).split("MAIE_MODEL_URI").length > 2,
        60_000,
        "the Deployment and the pipeline CronJob to carry the model URI",
      );
      await k(["-n", ns, "create", "job", `--from=cronjob/${cr}-pipeline`, `${cr}-store-run`]);
      await jobComplete(`${cr}-store-run`);
      expect(await scorerVolumes()).not.toContain("data");
      await k(["-n", ns, "rollout", "status", `deployment/${cr}`, "--timeout=240s"]);
      await bothServe(sha(modelA), 120_000, "model A from the bucket");
      expect(await k(["-n", ns, "get", "maie", cr])).toContain(`sha256:${sha(modelA).slice(0, 12)}`);
      const before = (await scorerPods()).map((p) => p.metadata.name).sort();

      // Unpinned: a new object at the same URI, no restart.
      await put(modelB);
      await bothServe(sha(modelB), 120_000, "model B, swapped live");
      expect((await scorerPods()).map((p) => p.metadata.name).sort()).toEqual(before);
      const events = await k([...MODEL_CHANGED_EVENTS, "-o", "json"]);
      expect(events).toContain(`was sha256:${sha(modelA).slice(0, 12)}`);

      // A pin that no object matches: the new pod never loads it, the old pods keep serving B.
      await patchSpec({ model: { sha256: sha(modelA) } });
      const stuck = await eventually(
        async () => {
          const m = await served();
          return m?.sha256 === sha(modelB) && m.message?.includes("spec.model.sha256") === true && m;
        },
        240_000,
        "the new pod's refusal reported, model B still served",
      );
      expect(stuck.serving).toMatch(/^2\//);
      expect((await condition("Ready"))?.reason).not.toBe("ModelUnavailable");

      // The right pin: the rollout completes with the pinned model.
      await patchSpec({ model: { sha256: sha(modelB) } });
      await eventually(
        async () => {
          const m = await served();
          const pods = await scorerPods();
          return (
            m?.sha256 === sha(modelB) && m.serving === "2/2" && pods.length === 2 && pods.every(podReady)
          );
        },
        300_000,
        "the pinned rollout to finish",
      );
    } finally {
      try {
        // Back to the model on the data volume for the rest of the story.
        await patchSpec({
          objectStore: null,
          model: { uri: null, sha256: null, pollInterval: null, format: "lightgbm" },
          pipeline: { prices: null },
        });
        await eventually(
          async () => (await scorerVolumes()).includes("data"),
          60_000,
          "the scorer Deployment to mount the data volume again",
        );
        await k(["-n", ns, "rollout", "status", `deployment/${cr}`, "--timeout=300s"]);
        await k(["-n", ns, "wait", "--for=condition=Ready", `maie/${cr}`, "--timeout=300s"]);
      } finally {
        s3.destroy();
        await forward.stop();
        await store.stop({ removeDir: true });
      }
    }
  }, 900_000);

  test("MLflow Model Registry: v1 aliased champion is served and shown by kubectl get; v2 registered and the alias moved is served within the poll interval, with an event", async () => {
    // The test's MLflow server on the host, reachable from every pod at the first node's IP.
    const mlflow = await MlflowServer.start();
    const forward = await forwardIntoNodeNetwork(
      process.env["MAIE_E2E_NETNS"] ?? "",
      process.env["MAIE_E2E_CLUSTER_DIR"] ?? "",
      mlflow.port,
      NODE_MLFLOW_PORT,
    );
    const transcript: string[] = [];
    const show = async (args: string[]) => {
      transcript.push(`$ kubectl ${args.join(" ")}`, (await k(args)).trimEnd());
    };
    const registered = async () =>
      (
        JSON.parse(await k(["-n", ns, "get", "maie", cr, "-o", "json"])) as {
          status?: { model?: ServedModel };
        }
      ).status?.model;
    const served = (ref: string, timeoutMs: number) =>
      eventually(
        async () => {
          const m = await registered();
          if (m?.registry?.ref === ref && m.serving === "2/2") return m;
          throw new Error(`status.model is ${JSON.stringify(m)}`);
        },
        timeoutMs,
        `both pods serving ${ref}`,
      );
    try {
      const v1 = await mlflow.register(
        "maie-alpha",
        "lightgbm",
        "config/samples/data/models/lightgbm/model.txt",
        "champion",
      );
      transcript.push(
        `# registered maie-alpha v${v1.version} (mlflow.lightgbm, run ${v1.runId}), alias champion → v${v1.version}`,
      );
      await patchSpec({
        model: {
          uri: "models:/maie-alpha@champion",
          format: "auto",
          pollInterval: "5s",
          mlflow: { trackingUri: `http://${nodeAddress(1).ip}:${NODE_MLFLOW_PORT}` },
        },
      });
      await k(["-n", ns, "rollout", "status", `deployment/${cr}`, "--timeout=240s"]);
      const first = await served(`maie-alpha@champion→v${v1.version}`, 120_000);
      expect(first.registry).toMatchObject({ name: "maie-alpha", alias: "champion", runId: v1.runId });
      await show(["-n", ns, "get", "maie", cr]);
      expect(transcript.at(-1)).toMatch(/REGISTERED/);
      expect(transcript.at(-1)).toContain(`maie-alpha@champion→v${v1.version}`);
      const before = (await scorerPods()).map((p) => p.metadata.name).sort();

      const v2 = await mlflow.register(
        "maie-alpha",
        "xgboost",
        "config/samples/data/models/xgboost/model.xgb.json",
        "champion",
      );
      const moved = Date.now();
      transcript.push(
        `# registered maie-alpha v${v2.version} (mlflow.xgboost, run ${v2.runId}), alias champion → v${v2.version}`,
      );
      const second = await served(`maie-alpha@champion→v${v2.version}`, 120_000);
      transcript.push(
        `# both pods serve v${v2.version} and status shows it ${((Date.now() - moved) / 1000).toFixed(1)} s after the alias moved (pollInterval 5s)`,
      );
      expect(second.sha256).not.toBe(first.sha256);
      // Swapped live: the same pods.
      expect((await scorerPods()).map((p) => p.metadata.name).sort()).toEqual(before);
      await show(["-n", ns, "get", "maie", cr]);
      // kubectl shows events.k8s.io's note as the core/v1 message; this story's earlier swaps are left out.
      const args = [...MODEL_CHANGED_EVENTS, "-o", "custom-columns=REASON:.reason,MESSAGE:.message"];
      const lines = (await k(args)).trimEnd().split("\n");
      transcript.push(
        `$ kubectl ${args.join(" ")} | grep -e REASON -e maie-alpha@`,
        ...lines.filter((l) => l.startsWith("REASON") || l.includes("maie-alpha@")),
      );
      expect(transcript.at(-1)).toContain(`maie-alpha@champion→v${v2.version}`);
      expect(transcript.at(-1)).toContain(`was maie-alpha@champion→v${v1.version}`);
      console.log(transcript.join("\n"));
    } finally {
      try {
        // Back to the model on the data volume for the rest of the story.
        await patchSpec({ model: { uri: null, mlflow: null, pollInterval: null, format: "lightgbm" } });
        await eventually(
          async () =>
            !(await k(["-n", ns, "get", "deployment", cr, "-o", "json"])).includes("MLFLOW_TRACKING_URI"),
          60_000,
          "the scorer Deployment without the registry",
        );
        await k(["-n", ns, "rollout", "status", `deployment/${cr}`, "--timeout=300s"]);
        await k(["-n", ns, "wait", "--for=condition=Ready", `maie/${cr}`, "--timeout=300s"]);
      } finally {
        await forward.stop();
        await mlflow.stop({ removeDir: true });
      }
    }
  }, 900_000);

  test("the backup Job from the CronJob writes a verifying archive; a restore Job restores it", async () => {
    await k(["-n", ns, "create", "job", `--from=cronjob/${cr}-backup`, `${cr}-backup-e2e`]);
    await jobComplete(`${cr}-backup-e2e`);
    const logs = await k(["-n", ns, "logs", `job/${cr}-backup-e2e`]);
    expect(logs).toMatch(/verif/i);

    // The restore Job exactly as docs/operations.md#restore prints it, placeholders filled in.
    const image = await k([
      "-n",
      ns,
      "get",
      "deploy",
      cr,
      "-o",
      "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    const at = operations.indexOf("\n## Restore\n");
    const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(operations.slice(at))![1]!;
    const manifest = yamlBlock
      .split("\n")
      .map((l) => l.replace(/^ {3}/, ""))
      .join("\n")
      .replaceAll("<scorer-image>", image)
      .replaceAll("<cr>", cr);
    const job = parse(manifest) as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    // --force: the pipeline wrote newer files after the backup; the restore must replace them.
    job.spec.template.spec.containers[0]!.args.push("--force");
    await k(["-n", ns, "apply", "-f", "-"], JSON.stringify(job));
    await jobComplete(`${cr}-restore`);
    const restoreLogs = await k(["-n", ns, "logs", `job/${cr}-restore`]);
    expect(restoreLogs).toMatch(/restore/i);
  }, 400_000);

  test("kubectl scale maie scales the scorer; status follows", async () => {
    await k(["-n", ns, "scale", `maie/${cr}`, "--replicas=3"]);
    await eventually(
      async () => {
        const get = await k(["-n", ns, "get", "maie", cr]);
        return /\bTrue\s+3\/3\b/.test(get);
      },
      180_000,
      "3/3 ready",
    );
    const pods = await scorerPods();
    expect(pods.filter(podReady)).toHaveLength(3);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(1);
  });

  test("deleting the resource removes its children and keeps the PVCs", async () => {
    await k(["-n", ns, "delete", "maie", cr, "--wait=true", "--timeout=120s"]);
    await eventually(
      async () => {
        const left = await k([
          "-n",
          ns,
          "get",
          "deploy,cronjob,svc,pod",
          "-l",
          `app.kubernetes.io/instance=${cr}`,
          "-o",
          "name",
        ]);
        return left.trim() === "" ? true : undefined;
      },
      180_000,
      "children gone",
    );
    const pvcs = await k(["-n", ns, "get", "pvc", "-o", "name"]);
    expect(pvcs).toContain(`persistentvolumeclaim/${cr}-data`);
    expect(pvcs).toContain(`persistentvolumeclaim/${cr}-backups`);
  });
});
