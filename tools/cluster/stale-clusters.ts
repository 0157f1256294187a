import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { releaseHostResources } from "./host-cleanup.js";

const run = promisify(execFile);

/**
 * A record of every cluster with nodes that is running on this host, so that
 * one whose owner was SIGKILLed (its processes die with it, but its network
 * namespace, mounts and cgroups cannot clean themselves up) is swept by the
 * next cluster that starts. In /run: a reboot, which clears them all anyway,
 * clears the records too.
 */
const REGISTRY = "/run/maie-node-clusters";

interface Registration {
  readonly pid: number;
  /** The cluster's directory (nodes/ and node-network/ under it are the cluster's own). */
  readonly dir: string;
  readonly netns: string;
}

export async function registerNodeCluster(netns: string, dir: string): Promise<void> {
  await mkdir(REGISTRY, { recursive: true });
  const record: Registration = { pid: process.pid, dir, netns };
  await writeFile(join(REGISTRY, `${netns}.json`), JSON.stringify(record));
}

export async function unregisterNodeCluster(netns: string): Promise<void> {
  await rm(join(REGISTRY, `${netns}.json`), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Cleans up after every registered cluster whose owner process is gone; returns their namespaces. */
export async function sweepStaleNodeClusters(
  log: (message: string) => void = () => undefined,
): Promise<string[]> {
  const swept: string[] = [];
  for (const file of await readdir(REGISTRY).catch(() => [])) {
    const path = join(REGISTRY, file);
    const record = JSON.parse(await readFile(path, "utf8").catch(() => "null")) as Registration | null;
    if (record === null || alive(record.pid)) continue;
    log(`removing what a killed cluster left (owner pid ${record.pid}, ${record.dir})`);
    // Every node's cgroups live under /<netns>, every mount under the cluster dir.
    await releaseHostResources(record.dir, `/${record.netns}`);
    await run("ip", ["netns", "del", record.netns]).catch(() => undefined);
    for (const sub of ["nodes", "node-network"])
      await rm(join(record.dir, sub), { recursive: true, force: true });
    await rm(path, { force: true });
    swept.push(record.netns);
  }
  return swept;
}
