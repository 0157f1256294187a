import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { DEV_ENV } from "../../src/contract/env.js";

/**
 * A child process that cannot outlive us. Node has no PR_SET_PDEATHSIG, so a
 * tiny shell guard runs beside the child and kills it when our process is
 * gone, even after a SIGKILL of the test runner: no orphan apiservers.
 */
export interface TiedProcess {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (fault injection). */
  kill(): Promise<void>;
  isRunning(): boolean;
}

const GUARD = `
"$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null; wait $child; exit $?' TERM INT
while kill -0 "$${DEV_ENV.tiedParent}" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1 & wait $!; done
if kill -0 $child 2>/dev/null; then kill -TERM $child 2>/dev/null; sleep 2; kill -KILL $child 2>/dev/null; fi
wait $child
`;

export function spawnTied(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): TiedProcess {
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn("bash", ["-c", GUARD, "maie-guard", command, ...args], {
      stdio: ["ignore", fd, fd],
      env: { ...env, [DEV_ENV.tiedParent]: String(process.pid) },
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = child.pid;
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      running = false;
      resolve(code);
    });
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      child.kill(sig);
    } catch {
      /* already gone */
    }
  };
  return {
    name,
    pid,
    exited,
    isRunning: () => running,
    async stop(graceMs = 10_000) {
      if (!running) return;
      signal("SIGTERM");
      const timer = setTimeout(() => killTree(pid), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!running) return;
      killTree(pid);
      await exited;
    },
  };
}

/** SIGKILL the guard's child and the guard (the child is the guard's only job). */
function killTree(guardPid: number) {
  try {
    const children = spawnSyncPgrep(guardPid);
    for (const c of children) process.kill(c, "SIGKILL");
  } catch {
    /* nothing left */
  }
  try {
    process.kill(guardPid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

function spawnSyncPgrep(parent: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(parent)], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(Number);
  } catch {
    return [];
  }
}
