/**
 * Operator benchmark (design §9): N MaieDeployments on a real control
 * plane (etcd + kube-apiserver from tools/build-binaries.sh). Measures
 *  - time until every child is applied and every status written, for the
 *    operator (a separate `maie operator` process), and for a bare client
 *    that server-side-applies the same desired objects with the same
 *    concurrency and no caches, queue or status;
 *  - API writes during idle resyncs (target 0);
 *  - the operator's RSS.
 * Usage: node dist/bench/operator/run.js [--counts 100,1000] [--concurrency 4]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { ControlPlane } from "../../tools/cluster/controlplane.js";
import { freePort } from "../../tools/cluster/ports.js";
import { delay } from "../../tools/cluster/wait.js";
import { parseMaieDeployment } from "../../src/api/parse.js";
import { desiredChildren } from "../../src/desired/children.js";
import { APPLY_PATCH, type RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath, resourceType } from "../../src/kube/resources.js";
import type { KubeObject } from "../../src/kube/object.js";
import { createMaieDeployments, pool, startBenchCluster } from "./bench-cluster.js";

const { values } = parseArgs({
  options: {
    counts: { type: "string", default: "100,1000" },
    concurrency: { type: "string", default: "4" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write("Usage: node dist/bench/operator/run.js [--counts 100,1000] [--concurrency 4]\n");
  process.exit(0);
}
const counts = values.counts.split(",").map(Number);
const concurrency = Number(values.concurrency);
const log = (m: string) => process.stderr.write(`[bench/operator] ${m}\n`);

function spec(i: number) {
  return {
    replicas: 1 + (i % 3),
    monitoring: { serviceMonitor: { enabled: "true" }, alerts: { enabled: "true" } },
    scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
    ingress: { enabled: i % 2 === 0, host: `m${i}.example.com` },
  };
}

function createResources(client: RestClient, ns: string, n: number): Promise<void> {
  return createMaieDeployments(client, ns, n, "m", spec);
}

async function allReconciled(client: RestClient, ns: string, n: number): Promise<boolean> {
  const list = await client.request<{
    items: {
      metadata: { generation: number };
      status?: { observedGeneration?: number; children?: { applied: boolean }[] };
    }[];
  }>("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns));
  const done = list.items.filter(
    (r) =>
      r.status?.observedGeneration === r.metadata.generation &&
      (r.status.children?.length ?? 0) > 0 &&
      r.status.children!.every((c) => c.applied),
  );
  return done.length === n;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function benchOperator(cp: ControlPlane, client: RestClient, n: number) {
  const ns = `op-${n}`;
  await client.request("POST", resourcePath(RESOURCE_TYPES.Namespace), {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
  });
  const port = await freePort();
  const resync = 20;
  const child = spawn(
    process.execPath,
    [
      "dist/src/cli/main.js",
      "operator",
      "--kubeconfig",
      cp.kubeconfigPath,
      "--watch-namespace",
      ns,
      "--leader-election",
      "false",
      "--metrics-port",
      String(port),
      "--metrics-bind-address",
      "127.0.0.1",
      "--resync-seconds",
      String(resync),
      "--concurrency",
      String(concurrency),
      "--log-level",
      "error",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  try {
    while (
      !(await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    )
      await delay(200);
    const t0 = performance.now();
    await createResources(client, ns, n);
    while (!(await allReconciled(client, ns, n))) await delay(500);
    const seconds = (performance.now() - t0) / 1000;
    const rssConverged = rssMiB(child.pid!);
    // Keep-alive races can reset a scrape; a benchmark retries rather than dies.
    const metrics = async (): Promise<string> => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await (
            await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: "close" } })
          ).text();
        } catch (err) {
          if (attempt >= 5) throw err;
          await delay(200);
        }
      }
    };
    const writes = async () => {
      const text = await metrics();
      return [
        ...text.matchAll(
          /^maie_operator_api_requests_total\{verb="(POST|PUT|PATCH|DELETE)",code="\d+"\} (\d+)/gm,
        ),
      ].reduce((a, m) => a + Number(m[2]), 0);
    };
    const reconciles = async () => {
      const text = await metrics();
      return [...text.matchAll(/^maie_operator_reconcile_total\{result="\w+"\} (\d+)/gm)].reduce(
        (a, m) => a + Number(m[1]),
        0,
      );
    };
    // "Idle" starts once the queue has drained (follow-up reconciles triggered by the children's own events are done).
    const depth = async () =>
      Number(/^maie_operator_workqueue_depth (\d+)/m.exec(await metrics())?.[1] ?? "NaN");
    for (let quiet = 0; quiet < 5;) {
      quiet = (await depth()) === 0 ? quiet + 1 : 0;
      await delay(1000);
    }
    const drainedSeconds = (performance.now() - t0) / 1000;
    const w0 = await writes();
    const r0 = await reconciles();
    await delay((resync + 5) * 1000);
    const idleWrites = (await writes()) - w0;
    const idleReconciles = (await reconciles()) - r0;
    return {
      seconds,
      drainedSeconds,
      rssConverged,
      rssAfterIdle: rssMiB(child.pid!),
      idleWrites,
      idleReconciles,
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

async function benchBareClient(client: RestClient, n: number) {
  const ns = `bare-${n}`;
  await client.request("POST", resourcePath(RESOURCE_TYPES.Namespace), {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
  });
  const t0 = performance.now();
  await createResources(client, ns, n);
  const crs = (
    await client.request<{ items: KubeObject[] }>("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns))
  ).items;
  const objects: KubeObject[] = [];
  for (const raw of crs) {
    const parsed = parseMaieDeployment(raw);
    if (!parsed.ok) throw new Error(parsed.message);
    objects.push(
      ...desiredChildren(parsed.value, {
        capabilities: { prometheusOperator: true },
        defaultImage: { repository: "ghcr.io/maie/maie", tag: "latest" },
      }),
    );
  }
  await pool(objects, concurrency, async (o) => {
    await client.request("PATCH", resourcePath(resourceType(o.kind), o.metadata.namespace, o.metadata.name), {
      body: o,
      contentType: APPLY_PATCH,
      query: { fieldManager: "bare-client", force: true },
    });
  });
  return { seconds: (performance.now() - t0) / 1000, objects: objects.length };
}

const { cp, client } = await startBenchCluster(log);
try {
  const rows: string[] = [];
  for (const n of counts) {
    log(`N=${n}: bare client`);
    const bare = await benchBareClient(client, n);
    log(`N=${n}: operator`);
    const op = await benchOperator(cp, client, n);
    rows.push(
      `| ${n} | ${bare.objects} | ${op.seconds.toFixed(1)} s | ${bare.seconds.toFixed(1)} s | ${(op.seconds / bare.seconds).toFixed(2)}× | ${op.idleWrites} (over ${op.idleReconciles} idle reconciles) | ${op.rssConverged.toFixed(0)} MiB / ${op.rssAfterIdle.toFixed(0)} MiB |`,
    );
  }
  process.stdout.write(
    `\nconcurrency ${concurrency}, etcd + kube-apiserver on loopback, ${(await import("node:os")).cpus().length} cores\n\n`,
  );
  process.stdout.write(
    "| resources | child objects | operator: all children applied + status written | bare client: same children applied (no status) | ratio | API writes during idle resync | operator RSS converged / after idle |\n|---|---|---|---|---|---|---|\n",
  );
  process.stdout.write(rows.join("\n") + "\n");
  client.close();
} finally {
  await cp.stop({ removeDir: true });
}
