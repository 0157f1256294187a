import { randomInt } from "node:crypto";
import { CLI } from "../../bench/scorer/soak-lib.js";
import type { MaieDeploymentStatus } from "../../src/api/status.js";
import { ENV } from "../../src/contract/env.js";
import type { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import type { ReadyResponse } from "../../src/scorer/schemas.js";
import { freePort } from "../../tools/cluster/ports.js";
import { eventually } from "./operator.js";
import { startProcess, type RunningProcess } from "./process.js";

/**
 * The real `maie scorer` as a process on a data directory, fetching its model
 * from a URI and polling it every second, for the tests of model sources
 * (s3://, https://, models:/). Returns once it answers /ready, ready or not.
 */

/** /ready's body and its HTTP status. */
export type Ready = ReadyResponse & { readonly http: number };

export interface ScorerProcess {
  readonly url: string;
  readonly process: RunningProcess;
  ready(): Promise<Ready>;
  stop(): Promise<void>;
}

export interface ScorerProcessOptions {
  readonly dataDir: string;
  /** The environment over this process's: at least the model's URI and what its source needs. */
  readonly env: Record<string, string>;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** A management port of its own (as in pods); /ready is asked there when set. */
  readonly metricsPort?: number;
}

export async function startScorerProcess(options: ScorerProcessOptions): Promise<ScorerProcess> {
  const host = options.host ?? "127.0.0.1";
  const port = await freePort();
  const url = `http://${host}:${options.metricsPort ?? port}`;
  const proc = startProcess(
    process.execPath,
    [CLI, "scorer", "--data-dir", options.dataDir, "--host", host, "--port", String(port)],
    {
      env: {
        ...process.env,
        MAIE_LOG_LEVEL: "warn",
        [ENV.modelPollSeconds]: "1",
        ...(options.metricsPort !== undefined && { [ENV.scorerMetricsPort]: String(options.metricsPort) }),
        ...options.env,
      },
    },
  );
  const ready = async (): Promise<Ready> => {
    const res = await fetch(`${url}/ready`);
    return { ...((await res.json()) as ReadyResponse), http: res.status };
  };
  const stop = async () => {
    proc.child.kill("SIGTERM");
    await proc.exited;
  };
  try {
    await eventually(() => ready(), 60_000, `the scorer at ${url} to answer (stderr: ${proc.err()})`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, process: proc, ready, stop };
}

/** Polls /ready until `check` holds (30 s), and returns that answer. */
export function readyWhen(scorer: ScorerProcess, what: string, check: (r: Ready) => boolean): Promise<Ready> {
  return eventually(
    async () => {
      const r = await scorer.ready();
      return check(r) && r;
    },
    30_000,
    what,
  );
}

/**
 * A loopback address of its own for a scorer process that stands in for a pod (the operator asks pods on
 * the fixed management port 9090, so each test run needs its own address; markPodsReady gives it to the pod).
 */
export function loopbackPodIP(): string {
  return `127.${randomInt(64, 250)}.${randomInt(1, 250)}.${randomInt(1, 250)}`;
}

/** A MaieDeployment's status as stored. */
export async function maieStatus(
  client: RestClient,
  namespace: string,
  name: string,
): Promise<MaieDeploymentStatus | undefined> {
  const cr = await client.request<{ status?: MaieDeploymentStatus }>(
    "GET",
    resourcePath(RESOURCE_TYPES.MaieDeployment, namespace, name),
  );
  return cr.status;
}
