import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../../tools/cluster/ports.js";
import { delay } from "../../tools/cluster/wait.js";
import type { PodCredentials } from "./cluster.js";
import { MemoryCgroup } from "./memory-cgroup.js";

/**
 * How a spawned operator reaches the apiserver: a kubeconfig file, or a
 * ServiceAccount laid out as in its pod (the in-cluster path, without
 * client-node, as the operator runs in production).
 */
export type OperatorAccess = string | PodCredentials;

export function accessArgs(access: OperatorAccess): { args: string[]; env: NodeJS.ProcessEnv } {
  if (typeof access === "string") return { args: ["--kubeconfig", access], env: process.env };
  const { KUBECONFIG: _ignored, ...env } = process.env;
  return { args: ["--service-account-dir", access.dir], env: { ...env, ...access.env } };
}

export interface OperatorChild {
  readonly child: ChildProcess;
  /** Its /metrics, /healthz and /readyz port on 127.0.0.1. */
  readonly port: number;
}

/**
 * The real `maie operator` CLI as a separate process, watching one namespace
 * of a control plane, with its metrics on a free loopback port. Shared by the
 * tests and the benchmarks that need the operator out of process.
 */
export async function spawnOperator(
  access: OperatorAccess,
  namespace: string,
  options: {
    readonly logLevel?: string;
    readonly extra?: readonly string[];
    /** Run inside a cgroup with this memory limit, as in a pod (benchmarks). */
    readonly memoryLimitMiB?: number;
  } = {},
): Promise<OperatorChild> {
  const port = await freePort();
  const cgroup =
    options.memoryLimitMiB === undefined || options.memoryLimitMiB === 0
      ? undefined
      : MemoryCgroup.create(`maie-operator-${process.pid}-${port}`, options.memoryLimitMiB);
  const args = [
    "dist/src/cli/main.js",
    "operator",
    ...accessArgs(access).args,
    "--watch-namespace",
    namespace,
    "--metrics-port",
    String(port),
    "--metrics-bind-address",
    "127.0.0.1",
    "--log-level",
    options.logLevel ?? "error",
    ...(options.extra ?? []),
  ];
  const [command, argv] = cgroup?.wrap(process.execPath, args) ?? [process.execPath, args];
  const child = spawn(command, argv, { stdio: ["ignore", "ignore", "inherit"], env: accessArgs(access).env });
  child.once("exit", () => cgroup?.remove());
  return { child, port };
}

/** An operator's /metrics text; a keep-alive race can reset one scrape, so it is retried. */
export async function scrapeMetrics(port: number): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: "close" } });
      return await res.text();
    } catch (err) {
      if (attempt >= 5) throw err;
      await delay(200);
    }
  }
}
