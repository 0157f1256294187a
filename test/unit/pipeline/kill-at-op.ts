/**
 * Preloaded (`node --import kill-at-op.js …`) into a pipeline or backup
 * process by the kill-point tests: counts the write-side file operations
 * under `MAIE_KILL_DIR` (opening a file for writing or a directory for fsync,
 * writeFile, write, sync, close of such a handle, rename, unlink) and
 * SIGKILLs the process when operation number `MAIE_KILL_AT_OP` (1-based)
 * begins; a writeFile chosen as the kill point first writes half its bytes,
 * a crash in the middle of the write. With MAIE_KILL_AT_OP=0 nothing is
 * killed and the count is printed on stderr at exit as `kill-at-op: N ops`.
 *
 * The real code runs unchanged: node:fs/promises is patched in place and
 * `syncBuiltinESMExports` makes the named imports see the patched functions.
 */
import { syncBuiltinESMExports } from "node:module";
import fs from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { resolve } from "node:path";

const root = resolve(process.env.MAIE_KILL_DIR ?? "/nonexistent");
const killAt = Number(process.env.MAIE_KILL_AT_OP ?? "0");
let count = 0;
const tracked = new WeakSet<FileHandle>();

const inside = (p: unknown): boolean => typeof p === "string" && resolve(p).startsWith(`${root}/`);

/** Counts one operation; at the kill point runs `beforeDeath` (if any) and SIGKILLs. */
async function op(beforeDeath?: () => Promise<unknown>): Promise<void> {
  count++;
  if (count !== killAt) return;
  if (beforeDeath !== undefined) await beforeDeath();
  process.kill(process.pid, "SIGKILL");
  await new Promise(() => undefined);
}

const realOpen = fs.open;
const probe = await realOpen("/dev/null", "r");
const handleProto = Object.getPrototypeOf(probe) as Record<string, (...a: unknown[]) => Promise<unknown>>;
await probe.close();

for (const name of ["writeFile", "write", "sync", "close"] as const) {
  const real = handleProto[name]!;
  handleProto[name] = async function (this: FileHandle, ...args: unknown[]) {
    if (tracked.has(this)) {
      const data = args[0];
      const half =
        name === "writeFile" && (typeof data === "string" || data instanceof Uint8Array)
          ? () =>
              real.call(
                this,
                typeof data === "string"
                  ? data.slice(0, data.length >> 1)
                  : data.subarray(0, data.length >> 1),
              )
          : undefined;
      await op(half);
    }
    return real.apply(this, args);
  };
}

const patched = fs as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
patched.open = async (...args: unknown[]) => {
  const [path, flags] = args as [string, string | number | undefined];
  const writing = typeof flags === "string" ? /[wa+]/.test(flags) : flags !== undefined && flags !== 0;
  const dirSync =
    flags === "r" && inside(path) && (await fs.stat(path).catch(() => null))?.isDirectory() === true;
  const track = inside(path) && (writing || dirSync);
  if (track) await op();
  const handle = await (realOpen as (...a: unknown[]) => Promise<FileHandle>)(...args);
  if (track) tracked.add(handle);
  return handle;
};
for (const name of ["rename", "unlink", "writeFile", "rm"] as const) {
  const real = patched[name]!;
  patched[name] = async (...args: unknown[]) => {
    if (inside(args[0])) await op();
    return real(...args);
  };
}
syncBuiltinESMExports();

process.on("exit", () => {
  if (killAt === 0) process.stderr.write(`kill-at-op: ${count} ops\n`);
});
