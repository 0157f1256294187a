import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ApiError } from "./errors.js";

/**
 * Optional bearer-token auth. The token comes from a file (a mounted
 * Secret) and is re-read when the file changes, so a rotated Secret takes
 * effect without a restart. Comparison is constant-time over SHA-256
 * digests, so neither content nor length leaks through timing.
 */

/** Routes that never need a token (probes and scraping). */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(["/health", "/ready", "/metrics"]);

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

export class TokenAuth {
  #digest: Buffer | null = null;

  /** Reads and trims the token file; an empty file is an error (it would accept an empty token). */
  async load(path: string): Promise<void> {
    const token = (await readFile(path, "utf8")).trim();
    if (token.length === 0) throw new Error(`token file ${path} is empty`);
    this.#digest = digest(token);
  }

  get enabled(): boolean {
    return this.#digest !== null;
  }

  /** Throws 401 unless the Authorization header carries the token. */
  check(authorization: string | undefined): void {
    if (this.#digest === null) return;
    const token = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "")?.[1];
    if (token === undefined || !timingSafeEqual(digest(token), this.#digest))
      throw new ApiError("unauthorized", "missing or invalid bearer token", null, {
        "WWW-Authenticate": 'Bearer realm="maie"',
      });
  }
}
