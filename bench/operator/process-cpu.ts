/**
 * CPU time used by processes, from /proc: which of etcd, kube-apiserver and
 * the client (operator or bare) spent the 2 cores during a run, so the bench
 * can say where the next limit is rather than guess.
 */
import { existsSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** User + system CPU seconds of one process so far (0 once it is gone). */
function ownCpuSeconds(pid: number): number {
  if (!existsSync(`/proc/${pid}/stat`)) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

function childrenOf(pid: number): number[] {
  const dir = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(dir)) return [];
  return readFileSync(dir, "utf8")
    .split(" ")
    .filter((p) => p !== "")
    .map(Number);
}

/**
 * CPU seconds of a process and all its live descendants: the control-plane
 * processes run under a guard shell, so the pid we hold is the shell's.
 */
export function cpuSecondsOfTree(pid: number): number {
  return ownCpuSeconds(pid) + childrenOf(pid).reduce((sum, child) => sum + cpuSecondsOfTree(child), 0);
}

/** CPU seconds of this process (the bench, which runs the bare client in-process). */
export function ownProcessCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

export interface CpuSplit {
  readonly client: number;
  readonly apiserver: number;
  readonly etcd: number;
}

/** Starts counting; the returned function gives the CPU seconds each spent since. */
export function cpuMeter(pids: { client: () => number; apiserver: number; etcd: number }): () => CpuSplit {
  const start = {
    client: pids.client(),
    apiserver: cpuSecondsOfTree(pids.apiserver),
    etcd: cpuSecondsOfTree(pids.etcd),
  };
  return () => ({
    client: pids.client() - start.client,
    apiserver: cpuSecondsOfTree(pids.apiserver) - start.apiserver,
    etcd: cpuSecondsOfTree(pids.etcd) - start.etcd,
  });
}

export function formatCpu(c: CpuSplit, seconds: number, clientName: string): string {
  const share = (v: number) => `${v.toFixed(1)} s (${((100 * v) / seconds).toFixed(0)} % of one core)`;
  return `CPU: ${clientName} ${share(c.client)}, kube-apiserver ${share(c.apiserver)}, etcd ${share(c.etcd)}`;
}
