import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface ProcessResult {
  /** The exit code; 128 + signal number when a signal ended it. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to the process's stdin, which is then closed. */
  readonly input?: string;
  /** SIGTERM after this long (no deadline by default: Jest's timeout bounds the test). */
  readonly timeoutMs?: number;
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGTERM: 15, SIGKILL: 9, SIGINT: 2 };

/**
 * Runs a command to completion and collects its output. Never throws on a
 * non-zero exit: tests assert on the result. The one process runner of the
 * test harness (kubectl, helm, actionlint, shell blocks from the docs).
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => (stderr += `${String(err)}\n`));
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill("SIGTERM"), options.timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128 + (signal === null ? 0 : (SIGNALS[signal] ?? 0)), stdout, stderr });
    });
  });
}

/** A process left running: its exit code once it exits, and what it has written so far. */
export interface RunningProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  out(): string;
  err(): string;
}

/**
 * Starts a process that keeps running (a server under test) and collects its
 * output as it comes; the test reads it, signals the child and awaits `exited`.
 */
export function startProcess(
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, "stdio"> = {},
): RunningProcess {
  const child = spawn(command, [...args], { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}
