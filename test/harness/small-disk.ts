import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A small volume for full-disk tests. As root where mounting is allowed, a
 * real tmpfs of the given size (writes fail with ENOSPC when it is full).
 * Elsewhere (no root, or a container without CAP_SYS_ADMIN) the stand-in is
 * the kernel's per-process file size limit (RLIMIT_FSIZE through `ulimit -f`
 * on the child): writing past it fails with EFBIG, also a real kernel error.
 * `note` says which one is in use and why.
 */
export interface SmallDisk {
  readonly dir: string;
  readonly kind: "tmpfs" | "fsize";
  readonly note: string;
  /** Removes everything on the volume. */
  clear(): void;
  /** tmpfs only: fills the volume with a filler file so that `free` bytes remain. */
  fill(free: number): void;
  release(): void;
}

export function smallDisk(bytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), "maie-small-disk-"));
  const clear = () => {
    for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  };
  const isRoot = process.getuid?.() === 0;
  const mount = isRoot
    ? spawnSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], { encoding: "utf8" })
    : null;
  if (mount !== null && mount.status === 0)
    return {
      dir,
      kind: "tmpfs",
      note: `tmpfs of ${bytes} bytes mounted on ${dir}`,
      clear,
      fill(free) {
        const filler = join(dir, ".filler");
        const fd = openSync(filler, "w");
        const chunk = Buffer.alloc(64 * 1024, 1);
        try {
          for (;;) writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
        }
        // Give back `free` bytes (tmpfs frees whole pages on truncate).
        const { bsize } = statfsSync(dir);
        const size = fstatSync(fd).size;
        ftruncateSync(fd, Math.max(0, size - Math.ceil(free / bsize) * bsize));
        closeSync(fd);
      },
      release() {
        spawnSync("umount", [dir]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  const why =
    mount === null
      ? "not root"
      : `mount -t tmpfs failed: ${(mount.stderr || mount.error?.message || `exit ${mount.status}`).trim()}`;
  return {
    dir,
    kind: "fsize",
    note: `${why}; using RLIMIT_FSIZE (ulimit -f) on the child instead`,
    clear,
    fill() {
      throw new Error("fill() needs a tmpfs");
    },
    release() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs `node <args>`, under `ulimit -f <fsizeBytes/1024>` when a size limit is given. */
export function runNode(args: readonly string[], fsizeBytes?: number): Promise<RunResult> {
  const argv =
    fsizeBytes === undefined
      ? [process.execPath, ...args]
      : [
          // bash counts ulimit -f in KiB; POSIX sh (dash) in 512-byte blocks.
          "bash",
          "-c",
          `ulimit -f ${Math.floor(fsizeBytes / 1024)} && exec "$@"`,
          "bash",
          process.execPath,
          ...args,
        ];
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}
