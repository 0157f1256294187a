/**
 * The operator under benchmark: the real `maie operator` CLI as a child
 * process (its own in-flight budget and workers), what its /metrics says
 * (API requests by verb, queue depth, reconciles), its RSS sampled from
 * /proc, and, on request, a heap snapshot taken through a signal.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../tools/cluster/ports.js";
import { delay } from "../../tools/cluster/wait.js";
import { MemoryCgroup } from "../../test/harness/memory-cgroup.js";
import { accessArgs, scrapeMetrics, type OperatorAccess } from "../../test/harness/operator-process.js";

export interface OperatorOptions {
  readonly access: OperatorAccess;
  readonly namespace: string;
  readonly concurrency: number;
  readonly maxInFlight: number;
  readonly resyncSeconds: number;
  /** Start with --heapsnapshot-signal=SIGUSR2, snapshots written to this (absolute) directory. */
  readonly heapSnapshotDir?: string;
  /** Node/V8 flags placed before the script. */
  readonly nodeOptions?: readonly string[];
  /** Run inside a cgroup with this memory limit, as in a pod (0 or absent: none). */
  readonly memoryLimitMiB?: number;
}

/** API requests by verb (GET, PATCH, POST, …, and WATCH for each watch opened). */
export type VerbCounts = ReadonlyMap<string, number>;

const WRITE_VERBS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export const totalRequests = (c: VerbCounts): number => [...c.values()].reduce((a, b) => a + b, 0);
export const writeRequests = (c: VerbCounts): number =>
  [...c].reduce((a, [verb, n]) => a + (WRITE_VERBS.has(verb) ? n : 0), 0);

export function subtractCounts(after: VerbCounts, before: VerbCounts): VerbCounts {
  return new Map([...after].map(([verb, n]) => [verb, n - (before.get(verb) ?? 0)]));
}

/** "1234 (GET 10, PATCH 1200, POST 24, other 0; 2 of them WATCH)". */
export function formatCounts(c: VerbCounts): string {
  const get = (v: string) => c.get(v) ?? 0;
  const other = totalRequests(c) - get("GET") - get("PATCH") - get("POST") - get("WATCH");
  return `${totalRequests(c)} (GET ${get("GET")}, PATCH ${get("PATCH")}, POST ${get("POST")}, other ${other}; ${get("WATCH")} of them WATCH)`;
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * The RSS split as the kernel counts it: file-backed pages (the node binary's
 * code and embedded data that the process has touched: what it loaded, such
 * as ICU's tables) and anonymous memory (V8's heap, malloc, stacks).
 */
export function rssSplit(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return `RSS file-backed ${(kib("RssFile") / 1024).toFixed(1)} MiB + anonymous ${(kib("RssAnon") / 1024).toFixed(1)} MiB`;
}

/** Reads a process's RSS every `everyMs` and keeps the largest value. */
export class RssSampler {
  peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 250,
  ) {
    this.timer = setInterval(() => {
      // Once the process has gone there is nothing to read; OperatorProcess.orExit reports that.
      if (existsSync(`/proc/${pid}`)) this.current();
    }, everyMs);
  }

  current(): number {
    const rss = rssMiB(this.pid);
    this.peak = Math.max(this.peak, rss);
    return rss;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export class OperatorProcess {
  private readonly exit: Promise<string>;

  private constructor(
    readonly child: ChildProcess,
    readonly pid: number,
    private readonly port: number,
  ) {
    this.exit = new Promise((resolve) =>
      child.once("exit", (code, signal) => resolve(`the operator exited (code ${code}, signal ${signal})`)),
    );
  }

  /** Spawns the operator and waits for its /readyz. */
  static async start(o: OperatorOptions): Promise<OperatorProcess> {
    const port = await freePort();
    const nodeFlags = [
      ...(o.nodeOptions ?? []),
      ...(o.heapSnapshotDir === undefined
        ? []
        : ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${o.heapSnapshotDir}`]),
    ];
    const flags: Record<string, string | number> = {
      "watch-namespace": o.namespace,
      "leader-election": "false",
      "metrics-port": port,
      "metrics-bind-address": "127.0.0.1",
      "resync-seconds": o.resyncSeconds,
      concurrency: o.concurrency,
      "max-in-flight": o.maxInFlight,
      "log-level": "error",
    };
    const args = [
      ...nodeFlags,
      "dist/src/cli/main.js",
      "operator",
      ...accessArgs(o.access).args,
      ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)]),
    ];
    const cgroup =
      (o.memoryLimitMiB ?? 0) > 0
        ? MemoryCgroup.create(`maie-bench-operator-${process.pid}-${port}`, o.memoryLimitMiB ?? 0)
        : undefined;
    const [command, argv] = cgroup?.wrap(process.execPath, args) ?? [process.execPath, args];
    const child = spawn(command, argv, {
      stdio: ["ignore", "ignore", "inherit"],
      env: accessArgs(o.access).env,
    });
    child.once("exit", () => cgroup?.remove());
    if (child.pid === undefined) throw new Error("could not spawn the operator");
    const op = new OperatorProcess(child, child.pid, port);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return op;
      await delay(200);
    }
    await op.stop();
    throw new Error(`the operator was not ready within 60 s (exit code ${child.exitCode})`);
  }

  /** `work`, or an error if the operator exits first (a crash must not leave the bench waiting forever). */
  orExit<T>(work: Promise<T>): Promise<T> {
    return Promise.race([
      work,
      this.exit.then((why) => {
        throw new Error(why);
      }),
    ]);
  }

  /** The operator's /metrics text. */
  metrics(): Promise<string> {
    return scrapeMetrics(this.port);
  }

  /** Every API request the operator has made so far, from maie_operator_api_requests_total. */
  async apiRequests(): Promise<VerbCounts> {
    const counts = new Map<string, number>();
    for (const m of (await this.metrics()).matchAll(
      /^maie_operator_api_requests_total\{([^}]*)\} (\S+)$/gm,
    )) {
      const verb = /verb="([^"]*)"/.exec(m[1]!)?.[1] ?? "?";
      counts.set(verb, (counts.get(verb) ?? 0) + Number(m[2]));
    }
    return counts;
  }

  /**
   * What V8 holds, from the default process metrics: committed and used MiB
   * per heap space, and memory outside the heap (buffers). Tells a heap that
   * grew with garbage from one that holds more.
   */
  async heapSpaces(): Promise<string> {
    const text = await this.metrics();
    const bySpace = (metric: string) =>
      new Map(
        [...text.matchAll(new RegExp(`^${metric}\\{space="([^"]+)"\\} (\\S+)$`, "gm"))].map((m) => [
          m[1]!,
          Number(m[2]) / 2 ** 20,
        ]),
      );
    const total = bySpace("nodejs_heap_space_size_total_bytes");
    const used = bySpace("nodejs_heap_space_size_used_bytes");
    const external = Number(/^nodejs_external_memory_bytes (\S+)$/m.exec(text)?.[1] ?? "NaN") / 2 ** 20;
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const spaces = [...total]
      .filter(([, mib]) => mib >= 0.5)
      .map(([space, mib]) => `${space} ${(used.get(space) ?? 0).toFixed(1)}/${mib.toFixed(1)}`)
      .join(", ");
    return `heap used/committed ${sum(used).toFixed(1)}/${sum(total).toFixed(1)} MiB (${spaces}); external ${external.toFixed(1)} MiB`;
  }

  async reconciles(): Promise<number> {
    return [...(await this.metrics()).matchAll(/^maie_operator_reconcile_total\{[^}]*\} (\S+)$/gm)].reduce(
      (a, m) => a + Number(m[1]),
      0,
    );
  }

  async queueDepth(): Promise<number> {
    return Number(/^maie_operator_workqueue_depth (\S+)$/m.exec(await this.metrics())?.[1] ?? "NaN");
  }

  /**
   * Sends SIGUSR2 (the process must have been started with a heap snapshot
   * directory), waits for the new .heapsnapshot there to stop growing for a
   * second, and renames it to `name`. Returns its path.
   */
  async heapSnapshot(dir: string, name: string, timeoutMs = 600_000): Promise<string> {
    const snapshots = () => readdirSync(dir).filter((f) => f.endsWith(".heapsnapshot"));
    const before = new Set(snapshots());
    this.child.kill("SIGUSR2");
    const deadline = Date.now() + timeoutMs;
    let last = { file: "", size: -1, since: Date.now() };
    while (Date.now() < deadline) {
      await delay(250);
      const file = snapshots().find((f) => !before.has(f) && f.includes(`.${this.pid}.`));
      if (file === undefined) continue;
      const size = statSync(join(dir, file)).size;
      if (file !== last.file || size !== last.size) last = { file, size, since: Date.now() };
      else if (size > 0 && Date.now() - last.since >= 1000) {
        renameSync(join(dir, file), join(dir, name));
        return join(dir, name);
      }
    }
    throw new Error(`no complete heap snapshot in ${dir} after ${timeoutMs / 1000} s`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    await exited;
  }
}
