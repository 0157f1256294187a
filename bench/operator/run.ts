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
 *  - with --repeats, several such pairs per count, the side that goes
 *    first alternating, reported as medians with each pair's ratio (a run
 *    of a few seconds on 2 shared cores moves by a third from run to run);
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
  benchSpec,
  createMaieDeployments,
  operatorPodCredentials,
  startBenchCluster,
  warmUp,
  withProgress,
} from "./bench-cluster.js";
import { ConvergenceWatch } from "./converged.js";
import { median } from "../median.js";
import { positiveInteger } from "../cli-args.js";
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

For each count N: the bare client, then the operator, each on a fresh control plane (with --repeats, the
side that goes first alternates from pair to pair).

  --counts N,N,...      MaieDeployments per run (default 100,1000,3000)
  --repeats R           pairs of runs per count, the side that goes first alternating (bare then operator, operator
                        then bare, ...); the table gives the medians, each pair's ratio, and the largest RSS (default 1)
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
    repeats: { type: "string", default: "1" },
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
const positive = (flag: string, text: string) => positiveInteger(flag, text, USAGE);
const counts = values.counts.split(",").map((c) => positive("counts", c));
const maxInFlight = positive("max-in-flight", values["max-in-flight"]);
const concurrency = positive("concurrency", values.concurrency);
const repeats = positive("repeats", values.repeats);
const resyncSeconds = positive("resync-seconds", values["resync-seconds"]);
const memoryLimitMiB = values["memory-limit"] === "0" ? 0 : positive("memory-limit", values["memory-limit"]);
const heapDir = values["heap-snapshot"] === undefined ? undefined : resolve(values["heap-snapshot"]);
if (heapDir !== undefined) mkdirSync(heapDir, { recursive: true });
const log = (m: string) => process.stderr.write(`[bench/operator] ${m}\n`);
const seconds = (t0: number) => (performance.now() - t0) / 1000;

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
    await warmUp(client, ns, benchSpec(0));
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
    await createMaieDeployments(client, `bare-${n}`, n, "m", benchSpec);
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
    await createMaieDeployments(client, ns, n, "m", benchSpec);
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

interface Pair {
  readonly bare: Awaited<ReturnType<typeof benchBare>>;
  readonly op: OperatorResult;
}
const ratio = ({ bare, op }: Pair) => op.seconds / bare.seconds;

// Alternating which side goes first keeps a drift of the host (steal time, page cache) from favouring one side.
const runs: { n: number; pairs: Pair[] }[] = [];
for (const n of counts) {
  const pairs: Pair[] = [];
  for (let r = 0; r < repeats; r += 1) {
    const pair = repeats === 1 ? "" : ` pair ${r + 1}/${repeats}`;
    const bareRun = () => {
      log(`N=${n}${pair}: bare client`);
      return benchBare(n);
    };
    const opRun = () => {
      log(`N=${n}${pair}: operator`);
      return benchOperator(n);
    };
    if (r % 2 === 0) {
      const bare = await bareRun();
      pairs.push({ bare, op: await opRun() });
    } else {
      const op = await opRun();
      pairs.push({ op, bare: await bareRun() });
    }
  }
  runs.push({ n, pairs });
}

const mib = (v: number) => v.toFixed(0);
const times = (v: number) => `${v.toFixed(2)}×`;
const medianOf = (pairs: readonly Pair[], pick: (p: Pair) => number) => median(pairs.map(pick));
const maxOf = (pairs: readonly Pair[], pick: (p: Pair) => number) => Math.max(...pairs.map(pick));
const ratioCell = (pairs: readonly Pair[]) =>
  pairs.length === 1
    ? `**${times(ratio(pairs[0]!))}**`
    : `**${times(medianOf(pairs, ratio))}** (${pairs.map((p) => times(ratio(p))).join(", ")})`;
const pairLabel = (n: number, i: number) => (repeats === 1 ? `N=${n}` : `N=${n} pair ${i + 1}`);
const out = [
  "",
  `in-flight budget ${maxInFlight} requests and ${concurrency} workers for both; each run on a fresh etcd + kube-apiserver on loopback; ${cpus().length} cores; operator resync ${resyncSeconds} s`,
  "times: from creating the resources (outside the budget) until every child is applied (operator: and every status written, seen by a watch)",
  "API requests: made by each between that start and convergence",
  `operator Node flags: ${values["node-options"] === "" ? "none" : values["node-options"]}; memory limit (cgroup, as in its pod): ${memoryLimitMiB === 0 ? "none" : `${memoryLimitMiB} MiB`}`,
  ...(repeats === 1
    ? []
    : [
        `${repeats} pairs of runs per count, alternating which side goes first: times and requests are medians, the ratio is the median of the pairs' ratios (each pair's in brackets), RSS and idle writes are the largest of any run`,
      ]),
  "",
  "| resources | child objects | in-flight budget | operator time | bare time | ratio | operator API requests | bare API requests | API writes during idle resync | operator RSS peak / converged / settled |",
  "|---|---|---|---|---|---|---|---|---|---|",
  ...runs.map(
    ({ n, pairs }) =>
      `| ${n} | ${pairs[0]!.bare.objects} | ${maxInFlight} | ${medianOf(pairs, (p) => p.op.seconds).toFixed(1)} s | ${medianOf(pairs, (p) => p.bare.seconds).toFixed(1)} s | ${ratioCell(pairs)} | ${medianOf(pairs, (p) => totalRequests(p.op.requests))} | ${medianOf(pairs, (p) => totalRequests(p.bare.requests))} | ${maxOf(pairs, (p) => p.op.idleWrites)} (over ${medianOf(pairs, (p) => p.op.idleReconciles)} idle reconciles) | ${mib(maxOf(pairs, (p) => p.op.rss.peak))} / ${mib(maxOf(pairs, (p) => p.op.rss.converged))} / ${mib(maxOf(pairs, (p) => p.op.rss.settled))} MiB |`,
  ),
  "",
  ...runs.flatMap(({ n, pairs }) =>
    pairs.flatMap(({ bare, op }, i) => [
      ...(repeats === 1
        ? []
        : [
            `${pairLabel(n, i)} (${i % 2 === 0 ? "bare first" : "operator first"}): operator ${op.seconds.toFixed(1)} s, bare ${bare.seconds.toFixed(1)} s, ${times(op.seconds / bare.seconds)}; operator RSS ${mib(op.rss.peak)} / ${mib(op.rss.converged)} / ${mib(op.rss.settled)} MiB; ${op.idleWrites} idle writes`,
          ]),
      `${pairLabel(n, i)}: operator requests ${formatCounts(op.requests)}; queue drained ${op.drainedSeconds.toFixed(1)} s after the start, with ${formatCounts(op.drainRequests)} more requests after convergence`,
      `${pairLabel(n, i)}: bare requests ${formatCounts(bare.requests)}; peak in flight ${bare.peakInFlight} of ${maxInFlight}`,
      `${pairLabel(n, i)}: operator run ${formatCpu(op.cpu, op.seconds, "operator")}`,
      `${pairLabel(n, i)}: bare run ${formatCpu(bare.cpu, bare.seconds, "bare client and bench")}`,
      `${pairLabel(n, i)}: operator at convergence: ${op.memory.converged}`,
      `${pairLabel(n, i)}: operator settled: ${op.memory.settled}`,
    ]),
  ),
  "",
  `operator marginal cost per resource between successive counts${repeats === 1 ? "" : " (medians)"}:`,
  ...(runs.length < 2
    ? ["  (one count: none)"]
    : runs.slice(1).map(({ n, pairs }, i) => {
        const prev = runs[i]!;
        const per = (pick: (p: Pair) => number) =>
          (medianOf(pairs, pick) - medianOf(prev.pairs, pick)) / (n - prev.n);
        return `  ${prev.n} → ${n}: ${per((p) => p.op.seconds).toFixed(4)} s/resource, ${per((p) => p.op.rss.settled).toFixed(3)} MiB/resource settled (${per((p) => p.op.rss.peak).toFixed(3)} peak)`;
      })),
  ...runs.flatMap(({ n, pairs }) =>
    pairs.flatMap(({ op }, i) =>
      op.heapSummary === undefined
        ? []
        : ["", `operator heap once settled, ${pairLabel(n, i)}:`, op.heapSummary.trimEnd()],
    ),
  ),
];
process.stdout.write(out.join("\n") + "\n");
