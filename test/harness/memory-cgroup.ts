/**
 * A memory limit for one benchmarked process, set the way a container
 * runtime sets a pod's: a cgroup with the limit, entered before the process
 * starts. Node sizes its heap from that limit (uv_get_constrained_memory),
 * so the operator's memory is measured as its pod would run it, not as a
 * process on a 24 GiB host, where V8 grows its young generation to over
 * 100 MiB. A process that outgrows the limit is killed, as in a pod.
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const V1_MEMORY = "/sys/fs/cgroup/memory";
const V2_ROOT = "/sys/fs/cgroup";

export class MemoryCgroup {
  private constructor(private readonly dir: string) {}

  /** Needs root and the cgroup v1 memory hierarchy or cgroup v2 with the memory controller. */
  static create(name: string, limitMiB: number): MemoryCgroup {
    const bytes = String(limitMiB * 1024 * 1024);
    const v1 = existsSync(V1_MEMORY);
    const dir = join(v1 ? V1_MEMORY : V2_ROOT, name);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, v1 ? "memory.limit_in_bytes" : "memory.max"), bytes);
    } catch (err) {
      throw new Error(
        `could not set a ${limitMiB} MiB memory limit in ${dir} (${err instanceof Error ? err.message : String(err)}); run as root, or pass --memory-limit 0 to measure without one`,
        { cause: err },
      );
    }
    return new MemoryCgroup(dir);
  }

  /** A command line that enters the cgroup and then becomes `command` (same pid: `exec`). */
  wrap(command: string, args: readonly string[]): [string, string[]] {
    return [
      "/bin/sh",
      ["-c", 'echo $$ > "$0" && exec "$@"', join(this.dir, "cgroup.procs"), command, ...args],
    ];
  }

  /** After the process has exited. */
  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // Still busy (the process is exiting): the next run's name differs, and the host's reboot clears it.
    }
  }
}
