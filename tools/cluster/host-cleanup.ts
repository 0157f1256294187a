import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, readlink, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * What a node leaves on the host besides its processes, and how to take it
 * back: cgroup subtrees (one per v1 hierarchy), mounts under its directory,
 * kubelet's links in the host's /var/log/containers. Used by a node's own
 * stop and by the sweep of clusters whose owner was killed.
 */

const run = promisify(execFile);
const CGROUP_FS = "/sys/fs/cgroup";
const CONTAINER_LOG_LINKS = "/var/log/containers";

/** The cgroup v1 hierarchies mounted on this host (cpu, memory, ..., name=systemd). */
async function cgroupHierarchies(): Promise<string[]> {
  const entries = await readdir(CGROUP_FS, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.includes(",")).map((e) => join(CGROUP_FS, e.name));
}

/** Creates a cgroup path in every hierarchy (kubelet requires its cgroup root to exist). */
export async function createCgroups(path: string): Promise<void> {
  for (const h of await cgroupHierarchies()) await mkdir(join(h, path), { recursive: true });
}

/** Removes a cgroup subtree bottom-up (a cgroup directory goes only once its children are gone). */
async function removeCgroupTree(path: string): Promise<void> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => null);
  if (entries === null) return;
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(join(path, e.name));
  await rmdir(path).catch(() => undefined);
}

/** Removes a cgroup subtree from every hierarchy. */
export async function removeCgroups(path: string): Promise<void> {
  for (const h of await cgroupHierarchies()) await removeCgroupTree(join(h, path));
}

/** SIGKILLs every process in a cgroup subtree (containers whose shim died first). */
async function killCgroupProcesses(path: string): Promise<void> {
  const pids = new Set<number>();
  const collect = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
    if (entries === null) return;
    const procs = await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "");
    for (const p of procs.split("\n").filter((l) => l !== "")) pids.add(Number(p));
    for (const e of entries) if (e.isDirectory()) await collect(join(dir, e.name));
  };
  for (const h of await cgroupHierarchies()) await collect(join(h, path));
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  // A killed process leaves its cgroup only once reaped; give the kernel a moment.
  if (pids.size > 0) await new Promise((r) => setTimeout(r, 500));
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    // mountinfo escapes spaces and such as octal (\040).
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  for (const point of mountsUnder(mountinfo, dir)) await run("umount", ["-l", point]).catch(() => undefined);
}

/** kubelet links every container log from a fixed host path; links into `dir` are ours. */
async function removeContainerLogLinks(dir: string): Promise<void> {
  for (const name of await readdir(CONTAINER_LOG_LINKS).catch(() => [])) {
    const target = await readlink(join(CONTAINER_LOG_LINKS, name)).catch(() => "");
    if (target.startsWith(`${dir}/`)) await rm(join(CONTAINER_LOG_LINKS, name), { force: true });
  }
}

/**
 * After a node's processes are stopped: kill what is left in its cgroups,
 * unmount everything under its directory, remove its log links and cgroups.
 */
export async function releaseHostResources(dir: string, cgroupPath: string): Promise<void> {
  await killCgroupProcesses(cgroupPath);
  await unmountUnder(dir);
  await removeContainerLogLinks(dir);
  await removeCgroups(cgroupPath);
}
