/**
 * Operator benchmark (design §9, issue #18): N MaieDeployments on a real
 * control plane (etcd + kube-apiserver from tools/build-binaries.sh), a fresh
 * one for every run so no run inherits another's etcd. Measures
 *  - time from creating the N resources until every child is applied and
 *    every status written (seen through a watch), for the operator (a
 *    separate `maie operator` process), and for a bare client that
 *    server-side-applies the same desired objects in the same order, with
 *    the same workers and the same in-flight request budget, and no caches,
 *    queue or status (bare-client.ts);
 *  - the API requests each made meanwhile;
 *  - API writes during idle resyncs (target 0);
 *  - the operator's RSS: peak, at convergence, and settled after a resync,
 *    split into file-backed and anonymous pages, with V8's heap spaces;
 *  - the CPU seconds of the client, kube-apiserver and etcd over each run;
 *  - optionally, what the settled operator's heap holds (tools/heap-summary.ts).
 * The bench's own requests (creating the resources, the watch, a warm-up of
 * the fresh apiserver's write path before the clock starts) go through a
 * client of its own, outside both budgets.
 */
import { OPERATOR_V8_FLAGS } from "../../src/operator/v8-flags.js";
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { delay } from "../../tools/cluster/wait.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import type { RestClient } from "../../src/kube/rest.js";
import { applyAsBareClient, type BareResult } from "./bare-client.js";
import {
  createMaieDeployments,
  operatorPodCredentials,
  startBenchCluster,
  warmUp,
  withProgress,
} from "./bench-cluster.js";
import { ConvergenceWatch } from "./converged.js";
import { cpuMeter, cpuSecondsOfTree, formatCpu, ownProcessCpuSeconds, type CpuSplit } from "./process-cpu.js";
import {
  formatCounts,
  OperatorProcess,
  RssSampler,
  rssSplit,
  subtractCounts,
  totalRequests,
  writeRequests,
  type VerbCounts,
} from "./operator-process.js";

const USAGE = `Usage: node dist/bench/operator/run.js [options]

For each count N: the bare client, then the operator, each on a fresh control plane.

  --counts N,N,...      MaieDeployments per run (default 100,1000,3000)
  --max-in-flight N     API requests in flight at once, the same budget for both (default 8)
  --concurrency N       workers, for both: operator reconciles at once, bare-client resources at once (default 4)
  --resync-seconds S    operator resync period; the idle phase lasts S + 5 s (default 20)
  --heap-snapshot DIR   once the operator has settled, write a heap snapshot of it to DIR and print its top 15 groups
                        (the snapshot needs about the heap's size again: use it with --memory-limit 0)
  --memory-limit MiB    run the operator in a cgroup with this memory limit, as its pod runs (default 512, the
                        Helm chart's limit; Node sizes its heap from it); 0 for none
  --node-options="..." Node/V8 flags for the operator process (default none; \`maie operator\` sets ${OPERATOR_V8_FLAGS} itself)
  --help
`;

const { values } = parseArgs({
  options: {
    counts: { type: "string", default: "100,1000,3000" },
    "max-in-flight": { type: "string", default: "8" },
    concurrency: { type: "string", default: "4" },
    "resync-seconds": { type: "string", default: "20" },
    "heap-snapshot": { type: "string" },
    "node-options": { type: "string", default: "" },
    "memory-limit": { type: "string", default: "512" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const positive = (flag: string, text: string): number => {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`--${flag} must be a positive integer, got ${JSON.stringify(text)}\n${USAGE}`);
    process.exit(2);
  }
  return v;
};
const counts = values.counts.split(",").map((c) => positive("counts", c));
const maxInFlight = positive("max-in-flight", values["max-in-flight"]);
const concurrency = positive("concurrency", values.concurrency);
const resyncSeconds = positive("resync-seconds", values["resync-seconds"]);
const memoryLimitMiB = values["memory-limit"] === "0" ? 0 : positive("memory-limit", values["memory-limit"]);
const heapDir = values["heap-snapshot"] === undefined ? undefined : resolve(values["heap-snapshot"]);
if (heapDir !== undefined) mkdirSync(heapDir, { recursive: true });
const log = (m: string) => process.stderr.write(`[bench/operator] ${m}\n`);
const seconds = (t0: number) => (performance.now() - t0) / 1000;

function spec(i: number) {
  return {
    replicas: 1 + (i % 3),
    monitoring: { serviceMonitor: { enabled: "Enabled" }, alerts: { enabled: "Enabled" } },
    scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
    ingress: { enabled: i % 2 === 0, host: `m${i}.example.com` },
  };
}

interface Cluster {
  /** The bench's own client: no in-flight limit, counted by neither side. */
  readonly client: RestClient;
  readonly kubeconfig: string;
  /** Registers a clean-up, run (last first) before the control plane stops. */
  readonly defer: (cleanup: () => unknown) => void;
  readonly serverPids: { readonly etcd: number; readonly apiserver: number };
}

/** A fresh control plane with namespace `ns`, stopped and removed after `fn`. */
async function onFreshCluster<T>(ns: string, fn: (cluster: Cluster) => Promise<T>): Promise<T> {
  const { cp, client } = await startBenchCluster(log);
  const cleanups: (() => unknown)[] = [];
  try {
    await client.request("POST", resourcePath(RESOURCE_TYPES.Namespace), {
      body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    });
    await warmUp(client, ns, spec(0));
    return await fn({
      client,
      kubeconfig: cp.kubeconfigPath,
      defer: (c) => cleanups.push(c),
      serverPids: cp.serverPids,
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    client.close();
    await cp.stop({ removeDir: true });
  }
}

async function benchBare(n: number): Promise<BareResult & { seconds: number; cpu: CpuSplit }> {
  return onFreshCluster(`bare-${n}`, async ({ client, kubeconfig, serverPids }) => {
    const cpu = cpuMeter({ client: ownProcessCpuSeconds, ...serverPids });
    const t0 = performance.now();
    await createMaieDeployments(client, `bare-${n}`, n, "m", spec);
    let done = 0;
    const result = await withProgress(
      log,
      `N=${n} bare client`,
      applyAsBareClient(kubeconfig, `bare-${n}`, { concurrency, maxInFlight, onProgress: (d) => (done = d) }),
      () => `${done}/${n} applied`,
    );
    return { ...result, seconds: seconds(t0), cpu: cpu() };
  });
}

interface OperatorResult {
  readonly seconds: number;
  readonly drainedSeconds: number;
  readonly requests: VerbCounts;
  /** Made between convergence and the drained queue (follow-up reconciles to the children's own events). */
  readonly drainRequests: VerbCounts;
  /** CPU seconds of the operator, kube-apiserver and etcd from the start until convergence. */
  readonly cpu: CpuSplit;
  readonly idleWrites: number;
  readonly idleReconciles: number;
  readonly rss: { readonly peak: number; readonly converged: number; readonly settled: number };
  /** The RSS split (rssSplit) and V8 heap spaces (OperatorProcess.heapSpaces), at convergence and once settled. */
  readonly memory: { readonly converged: string; readonly settled: string };
  readonly heapSummary?: string;
}

async function benchOperator(n: number): Promise<OperatorResult> {
  const ns = `op-${n}`;
  return onFreshCluster(ns, async ({ client, kubeconfig, defer, serverPids }) => {
    const watch = await ConvergenceWatch.start(client, ns);
    defer(() => watch.stop());
    const op = await OperatorProcess.start({
      access: await operatorPodCredentials(client, kubeconfig, ns),
      namespace: ns,
      concurrency,
      maxInFlight,
      resyncSeconds,
      ...(heapDir !== undefined && { heapSnapshotDir: heapDir }),
      nodeOptions: values["node-options"].split(/\s+/).filter((f) => f !== ""),
      memoryLimitMiB,
    });
    defer(() => op.stop());
    const rss = new RssSampler(op.pid);
    defer(() => rss.stop());
    const label = `N=${n} operator`;
    const before = await op.apiRequests();
    const cpu = cpuMeter({ client: () => cpuSecondsOfTree(op.pid), ...serverPids });
    const t0 = performance.now();
    await createMaieDeployments(client, ns, n, "m", spec);
    await withProgress(log, label, op.orExit(watch.until(n)), () => `${watch.reconciled}/${n} reconciled`);
    const converged = {
      seconds: seconds(t0),
      cpu: cpu(),
      rss: rss.current(),
      memory: `${rssSplit(op.pid)}; ${await op.heapSpaces()}`,
    };
    const atConvergence = await op.apiRequests();
    const requests = subtractCounts(atConvergence, before);
    // "Idle" starts once the queue has drained (follow-up reconciles triggered by the children's own events are done).
    const drain = async () => {
      for (let quiet = 0; quiet < 5;) {
        quiet = (await op.queueDepth()) === 0 ? quiet + 1 : 0;
        await delay(1000);
      }
    };
    await withProgress(log, label, op.orExit(drain()), () => "waiting for the queue to drain");
    const drainedSeconds = seconds(t0);
    const drainRequests = subtractCounts(await op.apiRequests(), atConvergence);
    const w0 = writeRequests(await op.apiRequests());
    const r0 = await op.reconciles();
    log(`${label}: converged, idle for ${resyncSeconds + 5} s (one resync)`);
    await withProgress(log, label, op.orExit(delay((resyncSeconds + 5) * 1000)), () => "idle");
    const idleWrites = writeRequests(await op.apiRequests()) - w0;
    const idleReconciles = (await op.reconciles()) - r0;
    const settled = rss.current();
    const settledMemory = `${rssSplit(op.pid)}; ${await op.heapSpaces()}`;
    rss.stop();
    const result = {
      seconds: converged.seconds,
      cpu: converged.cpu,
      drainedSeconds,
      drainRequests,
      requests,
      idleWrites,
      idleReconciles,
      rss: { peak: rss.peak, converged: converged.rss, settled },
      memory: { converged: converged.memory, settled: settledMemory },
    };
    if (heapDir === undefined) return result;
    log(`${label}: writing a heap snapshot to ${heapDir}`);
    // Writing a snapshot takes about as much memory again as the heap: under a pod's limit it can be OOM-killed.
    const file = await op.orExit(op.heapSnapshot(heapDir, `operator-${n}.heapsnapshot`));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--max-old-space-size=4096", "dist/tools/heap-summary.js", file, "--top", "15"],
      { maxBuffer: 1 << 20 },
    );
    return { ...result, heapSummary: stdout };
  });
}

const runs: { n: number; bare: Awaited<ReturnType<typeof benchBare>>; op: OperatorResult }[] = [];
for (const n of counts) {
  log(`N=${n}: bare client`);
  const bare = await benchBare(n);
  log(`N=${n}: operator`);
  runs.push({ n, bare, op: await benchOperator(n) });
}

const mib = (v: number) => v.toFixed(0);
const out = [
  "",
  `in-flight budget ${maxInFlight} requests and ${concurrency} workers for both; each run on a fresh etcd + kube-apiserver on loopback; ${cpus().length} cores; operator resync ${resyncSeconds} s`,
  "times: from creating the resources (outside the budget) until every child is applied (operator: and every status written, seen by a watch)",
  "API requests: made by each between that start and convergence",
  `operator Node flags: ${values["node-options"] === "" ? "none" : values["node-options"]}; memory limit (cgroup, as in its pod): ${memoryLimitMiB === 0 ? "none" : `${memoryLimitMiB} MiB`}`,
  "",
  "| resources | child objects | in-flight budget | operator time | bare time | ratio | operator API requests | bare API requests | API writes during idle resync | operator RSS peak / converged / settled |",
  "|---|---|---|---|---|---|---|---|---|---|",
  ...runs.map(
    ({ n, bare, op }) =>
      `| ${n} | ${bare.objects} | ${maxInFlight} | ${op.seconds.toFixed(1)} s | ${bare.seconds.toFixed(1)} s | ${(op.seconds / bare.seconds).toFixed(2)}× | ${totalRequests(op.requests)} | ${totalRequests(bare.requests)} | ${op.idleWrites} (over ${op.idleReconciles} idle reconciles) | ${mib(op.rss.peak)} / ${mib(op.rss.converged)} / ${mib(op.rss.settled)} MiB |`,
  ),
  "",
  ...runs.flatMap(({ n, bare, op }) => [
    `N=${n}: operator requests ${formatCounts(op.requests)}; queue drained ${op.drainedSeconds.toFixed(1)} s after the start, with ${formatCounts(op.drainRequests)} more requests after convergence`,
    `N=${n}: bare requests ${formatCounts(bare.requests)}; peak in flight ${bare.peakInFlight} of ${maxInFlight}`,
    `N=${n}: operator run ${formatCpu(op.cpu, op.seconds, "operator")}`,
    `N=${n}: bare run ${formatCpu(bare.cpu, bare.seconds, "bare client and bench")}`,
    `N=${n}: operator at convergence: ${op.memory.converged}`,
    `N=${n}: operator settled: ${op.memory.settled}`,
  ]),
  "",
  "operator marginal cost per resource between successive counts:",
  ...(runs.length < 2
    ? ["  (one count: none)"]
    : runs.slice(1).map(({ n, op }, i) => {
        const prev = runs[i]!;
        const per = (v: number) => v / (n - prev.n);
        return `  ${prev.n} → ${n}: ${per(op.seconds - prev.op.seconds).toFixed(4)} s/resource, ${per(op.rss.settled - prev.op.rss.settled).toFixed(3)} MiB/resource settled (${per(op.rss.peak - prev.op.rss.peak).toFixed(3)} peak)`;
      })),
  ...runs.flatMap(({ n, op }) =>
    op.heapSummary === undefined ? [] : ["", `operator heap once settled, N=${n}:`, op.heapSummary.trimEnd()],
  ),
];
process.stdout.write(out.join("\n") + "\n");
