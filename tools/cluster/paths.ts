import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DEV_ENV } from "../../src/contract/env.js";

/** Where tools/build-binaries.sh puts the Go-built binaries (outside the repo, reused across runs). */
export function cacheDir(): string {
  return process.env[DEV_ENV.cache] ?? join(homedir(), ".cache", "maie");
}

export function binDir(): string {
  return join(cacheDir(), "bin");
}

export class MissingBinaryError extends Error {
  override readonly name = "MissingBinaryError";
}

/** Absolute path of a cached binary, or an error telling the reader how to build it. */
export function binary(name: string): string {
  const path = join(binDir(), name);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new MissingBinaryError(
      `${name} not found at ${path}. Build it with: tools/build-binaries.sh ${name} (the first build takes a few minutes; later runs reuse the cache)`,
    );
  }
  return path;
}
