import { open, rename, unlink, mkdir } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * An I/O error that names the file: node's own messages for write(2) and
 * fsync(2) failures ("ENOSPC: no space left on device, write") say neither
 * which file nor which folder, so a full volume's log line did not say where.
 * Keeps the errno `code` and the original error as `cause`.
 */
export class FileWriteError extends Error {
  override readonly name = "FileWriteError";
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `cannot write ${path}: ${why}${code === "ENOSPC" ? " (the volume is full)" : code === "EFBIG" ? " (over the file size limit)" : ""}`,
      {
        cause,
      },
    );
    this.code = code;
  }
}

/** Runs `fn`; any error becomes a FileWriteError naming `path` (one already naming a path passes through). */
export async function naming<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof FileWriteError ? err : new FileWriteError(path, err);
  }
}

/**
 * Writes a file so that readers see either the old content or the new one,
 * never a torn file: temp file in the same directory, fsync, rename, then
 * fsync the directory so the rename itself survives a crash. A failure
 * (full disk, say) removes the temp file and throws a FileWriteError naming
 * `path`; the old content is untouched.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await naming(path, () => mkdir(dir, { recursive: true }));
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await naming(path, () => open(tmp, "wx", 0o644));
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw new FileWriteError(path, err);
  }
  try {
    await handle.close();
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new FileWriteError(path, err);
  }
  await naming(path, async () => {
    const dirHandle = await open(dir, "r");
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  });
}
