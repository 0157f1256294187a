import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { delay } from "../../tools/cluster/wait.js";
import { median } from "../median.js";
import { MERGE_PATCH, type RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { createMaieDeployments, operatorPodCredentials, pool } from "./bench-cluster.js";
import { scrapeMetrics, spawnOperator, type OperatorAccess } from "../../test/harness/operator-process.js";

/**
 * The operator soak (issue 9, point 2), shared by the bounded benchmark
 * (bench/operator/soak.ts, 1000 resources for many minutes) and a short CI
 * variant (test/integration/operator-soak.test.ts): N resources, then every
 * `churnEverySeconds` the spec of a random share of them changes, while the
 * operator process's RSS (/proc/<pid>/status) and /metrics (work queue
 * depth, reconcile errors, V8 heap) are sampled. The report says whether
 * memory grows (least-squares slope after warm-up), whether the queue
 * drains after each round and how fast, whether errors repeat, and whether
 * every resource ends at its latest generation.
 */

export interface SoakOptions {
  readonly client: RestClient;
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly resources: number;
  readonly churnSeconds: number;
  readonly churnEverySeconds: number;
  readonly churnFraction: number;
  readonly sampleEverySeconds: number;
  /** Samples taken before the end of the first churn round plus this long are left out of the slope. */
  readonly warmupSeconds: number;
  readonly operatorArgs?: readonly string[];
  /** Run the operator in a cgroup with this memory limit, as in its pod (0 or absent: none). */
  readonly memoryLimitMiB?: number;
  readonly log: (message: string) => void;
  /** Seed of the churn choice, so a run can be repeated. */
  readonly seed?: number;
}

export interface Sample {
  /** Seconds since the operator started. */
  readonly t: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly depth: number;
  readonly reconcileErrors: number;
  readonly reconciles: number;
}

export interface ChurnRound {
  readonly round: number;
  readonly atSeconds: number;
  readonly changed: number;
  /** Seconds from the spec changes until every changed resource reported its new generation and the queue was empty; undefined if not before the next round. */
  readonly drainSeconds: number | undefined;
  readonly maxDepth: number;
}

export interface SoakReport {
  readonly resources: number;
  readonly initialConvergenceSeconds: number;
  readonly rounds: readonly ChurnRound[];
  readonly samples: readonly Sample[];
  readonly rssSlopeMiBPerMin: number;
  readonly heapSlopeMiBPerMin: number;
  readonly rssRangeMiB: readonly [number, number];
  /** Largest work queue depth seen during the churn rounds, and while the N resources were first reconciled. */
  readonly maxDepth: number;
  readonly initialMaxDepth: number;
  readonly reconcileErrors: number;
  /** Reconcile errors counted during the quiet window after the last round (an error loop shows here). */
  readonly errorsWhenQuiet: number;
  readonly reconcilesWhenQuiet: number;
  readonly quietSeconds: number;
  /** Names not at observedGeneration == generation with every child applied at the end. */
  readonly unconvergedAtEnd: readonly string[];
  readonly finalConvergenceSeconds: number;
}

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

function metricSum(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].reduce((a, m) => a + Number(m[1]), 0);
}

/** The resource spec the soak starts from: monitoring on, every other one with an ingress (as bench/operator/run.ts). */
function initialSpec(i: number) {
  return {
    replicas: 1 + (i % 3),
    monitoring: { serviceMonitor: { enabled: "Auto" }, alerts: { enabled: "Auto" } },
    scorer: { auth: { tokenSecretRef: { name: "maie-token" } } },
    ingress: { enabled: i % 2 === 0, host: `s${i}.example.com` },
  };
}

interface Listed {
  metadata: { name: string; generation?: number };
  status?: { observedGeneration?: number; children?: { applied: boolean }[] };
}

export class OperatorProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(
    access: OperatorAccess,
    namespace: string,
    extra: readonly string[],
    memoryLimitMiB: number | undefined,
  ): Promise<OperatorProcess> {
    const { child, port } = await spawnOperator(access, namespace, {
      extra: ["--leader-election", "false", ...extra],
      ...(memoryLimitMiB !== undefined && { memoryLimitMiB }),
    });
    const op = new OperatorProcess(child, port);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}`);
      if (
        await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return op;
      await delay(200);
    }
  }

  /** The operator's /metrics text. */
  metrics(): Promise<string> {
    return scrapeMetrics(this.port);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    await exited;
  }
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const { client, namespace: ns, log } = o;
  const random = seeded(o.seed ?? 42);
  const access = await operatorPodCredentials(client, o.kubeconfig, ns);
  const op = await OperatorProcess.start(access, ns, o.operatorArgs ?? [], o.memoryLimitMiB);
  const t0 = performance.now();
  const now = () => (performance.now() - t0) / 1000;
  const samples: Sample[] = [];
  const stopSampling = new AbortController();
  const sampler = (async () => {
    while (!stopSampling.signal.aborted) {
      // One failed scrape (a loaded machine) loses a sample, not the run.
      const text = await op.metrics().catch(() => undefined);
      if (text !== undefined && op.child.exitCode === null)
        samples.push({
          t: now(),
          rssMiB: rssMiB(op.child.pid!),
          heapUsedMiB: metricSum(text, /^nodejs_heap_size_used_bytes (\S+)/gm) / 2 ** 20,
          depth: metricSum(text, /^maie_operator_workqueue_depth (\S+)/gm),
          reconcileErrors: metricSum(text, /^maie_operator_reconcile_total\{result="error"\} (\S+)/gm),
          reconciles: metricSum(text, /^maie_operator_reconcile_total\{result="\w+"\} (\S+)/gm),
        });
      await delay(o.sampleEverySeconds * 1000);
    }
  })();
  const list = async () =>
    (await client.request<{ items: Listed[] }>("GET", resourcePath(RESOURCE_TYPES.MaieDeployment, ns))).items;
  const converged = (r: Listed) => {
    const children = r.status?.children ?? [];
    return (
      r.status?.observedGeneration === r.metadata.generation &&
      children.length > 0 &&
      children.every((c) => c.applied)
    );
  };
  const depthNow = async () => metricSum(await op.metrics(), /^maie_operator_workqueue_depth (\S+)/gm);

  try {
    log(`creating ${o.resources} resources in ${ns}`);
    await createMaieDeployments(client, ns, o.resources, "s", initialSpec);
    for (let last = -1; ;) {
      const done = (await list()).filter(converged).length;
      if (done === o.resources) break;
      if (done !== last && (done - last >= o.resources / 10 || last < 0)) {
        log(`initial reconcile: ${done}/${o.resources} converged at ${now().toFixed(0)} s`);
        last = done;
      }
      await delay(1000);
    }
    const initialConvergenceSeconds = now();
    log(`all ${o.resources} converged after ${initialConvergenceSeconds.toFixed(1)} s; churn starts`);

    const rounds: ChurnRound[] = [];
    const churnStart = now();
    const replicas = new Map<string, number>();
    for (let round = 1; now() - churnStart < o.churnSeconds; round += 1) {
      const roundStart = now();
      const k = Math.max(1, Math.round(o.resources * o.churnFraction));
      const chosen = new Set<number>();
      while (chosen.size < k) chosen.add(Math.floor(random() * o.resources));
      const names = [...chosen].map((i) => `s${i}`);
      // Two real spec changes per resource: the scale (Deployment) and the pipeline schedule (CronJob).
      await pool(names, 16, async (name) => {
        const i = Number(name.slice(1));
        const next = ((replicas.get(name) ?? 1 + (i % 3)) % 3) + 1;
        replicas.set(name, next);
        await client.request("PATCH", resourcePath(RESOURCE_TYPES.MaieDeployment, ns, name), {
          body: { spec: { replicas: next, pipeline: { schedule: `${round % 60} 22 * * *` } } },
          contentType: MERGE_PATCH,
        });
      });
      const changedAt = now();
      const nextRoundAt = roundStart + o.churnEverySeconds;
      let maxDepth = 0;
      let drainSeconds: number | undefined;
      const wanted = new Set(names);
      while (now() < Math.max(nextRoundAt, changedAt + 1)) {
        const depth = await depthNow();
        maxDepth = Math.max(maxDepth, depth);
        if (drainSeconds === undefined) {
          const pending = (await list()).filter((r) => wanted.has(r.metadata.name) && !converged(r)).length;
          if (pending === 0 && depth === 0) drainSeconds = now() - changedAt;
        }
        await delay(500);
      }
      const s = samples.at(-1);
      rounds.push({ round, atSeconds: changedAt, changed: names.length, drainSeconds, maxDepth });
      log(
        `round ${round} at ${(changedAt - churnStart).toFixed(0)} s of churn: ${names.length} specs changed, ` +
          `${drainSeconds === undefined ? "NOT drained before the next round" : `drained in ${drainSeconds.toFixed(1)} s`}, ` +
          `max queue depth ${maxDepth}, RSS ${s?.rssMiB.toFixed(0)} MiB, heap ${s?.heapUsedMiB.toFixed(0)} MiB, reconcile errors ${s?.reconcileErrors}`,
      );
    }

    // The end: every resource at its latest generation, then a quiet window in which errors must not repeat.
    const endStart = now();
    let unconvergedAtEnd: string[] = [];
    while (now() - endStart < 300) {
      unconvergedAtEnd = (await list()).filter((r) => !converged(r)).map((r) => r.metadata.name);
      if (unconvergedAtEnd.length === 0 && (await depthNow()) === 0) break;
      await delay(1000);
    }
    const finalConvergenceSeconds = now() - endStart;
    const quietSeconds = Math.max(3 * o.sampleEverySeconds, 15);
    const before = samples.at(-1)!;
    await delay(quietSeconds * 1000);
    stopSampling.abort();
    await sampler;
    const after = samples.at(-1)!;

    const warm = rounds.length > 0 ? rounds[0]!.atSeconds + o.warmupSeconds : initialConvergenceSeconds;
    const steady = samples.filter((s) => s.t >= warm);
    const perMin = (pick: (s: Sample) => number) => slope(steady.map((s) => [s.t / 60, pick(s)] as const));
    const rss = steady.map((s) => s.rssMiB);
    return {
      resources: o.resources,
      initialConvergenceSeconds,
      rounds,
      samples,
      rssSlopeMiBPerMin: perMin((s) => s.rssMiB),
      heapSlopeMiBPerMin: perMin((s) => s.heapUsedMiB),
      rssRangeMiB: [Math.min(...rss), Math.max(...rss)],
      maxDepth: Math.max(0, ...rounds.map((r) => r.maxDepth)),
      initialMaxDepth: Math.max(0, ...samples.filter((s) => s.t <= churnStart).map((s) => s.depth)),
      reconcileErrors: after.reconcileErrors,
      errorsWhenQuiet: after.reconcileErrors - before.reconcileErrors,
      reconcilesWhenQuiet: after.reconciles - before.reconciles,
      quietSeconds,
      unconvergedAtEnd,
      finalConvergenceSeconds,
    };
  } finally {
    stopSampling.abort();
    await sampler.catch(() => undefined);
    await op.stop();
  }
}

/** The report as text: the figures docs/reliability.md quotes. */
export function formatReport(
  r: SoakReport,
  o: Pick<SoakOptions, "churnSeconds" | "churnEverySeconds" | "churnFraction">,
): string {
  const drained = r.rounds.filter((x) => x.drainSeconds !== undefined).map((x) => x.drainSeconds!);
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "n/a");
  return [
    `resources: ${r.resources}; churn: ${r.rounds.length} rounds over ${o.churnSeconds} s, every ${o.churnEverySeconds} s, ${Math.round(o.churnFraction * 100)}% of the resources each`,
    `initial convergence: ${r.initialConvergenceSeconds.toFixed(1)} s`,
    `RSS slope after warm-up: ${fmt(r.rssSlopeMiBPerMin)} MiB/min (RSS ${r.rssRangeMiB[0].toFixed(0)}-${r.rssRangeMiB[1].toFixed(0)} MiB); V8 heap used slope: ${fmt(r.heapSlopeMiBPerMin)} MiB/min`,
    `queue: max depth ${r.maxDepth} during churn (${r.initialMaxDepth} during the initial reconcile); drained after ${drained.length}/${r.rounds.length} rounds before the next one; drain time median ${fmt(median(drained))} s, max ${fmt(Math.max(...drained))} s`,
    `reconcile errors: ${r.reconcileErrors} in total, ${r.errorsWhenQuiet} in the ${r.quietSeconds} s quiet window (${r.reconcilesWhenQuiet} reconciles in it)`,
    `end: ${r.unconvergedAtEnd.length === 0 ? `every resource converged (observedGeneration == generation, all children applied) ${r.finalConvergenceSeconds.toFixed(1)} s after the last round` : `${r.unconvergedAtEnd.length} NOT converged: ${r.unconvergedAtEnd.slice(0, 10).join(", ")}`}`,
  ].join("\n");
}
