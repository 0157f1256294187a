import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";

/**
 * The run summary every job writes to the data volume (`runs/<job>-last.json`,
 * see src/contract/data-layout.ts): its outcome and times, then the job's own
 * fields `T` (all of them on success, those `onFailure` gives on failure).
 * The scorer exports `maie_<job>_last_success_timestamp` from `lastSuccess`.
 */
export type RunSummary<T extends object> = {
  readonly ok: boolean;
  readonly status: "succeeded" | "failed";
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Finish time of the latest successful run (this one when `ok`), or null if none ever succeeded. */
  readonly lastSuccess: string | null;
  readonly error?: string;
} & { readonly [K in keyof T]?: T[K] };

/** The summary in `dataDir/file`, or null when there is none or it cannot be read. */
export async function readRunSummary<T extends object>(
  dataDir: string,
  file: string,
): Promise<RunSummary<T> | null> {
  try {
    return JSON.parse(await readFile(join(dataDir, file), "utf8")) as RunSummary<T>;
  } catch {
    return null;
  }
}

async function writeRunSummary(dataDir: string, file: string, summary: object): Promise<void> {
  await writeFileAtomic(join(dataDir, file), JSON.stringify(summary, null, 2) + "\n");
}

export interface RecordRunOptions<T extends object> {
  readonly dataDir: string;
  /** The summary file, relative to `dataDir`. */
  readonly file: string;
  readonly clock: () => Date;
  /** The job itself; `startedAt` is the time recorded in the summary. Returns the job's fields. */
  readonly run: (startedAt: Date) => Promise<T>;
  /** Fields recorded with a failure too (the pipeline's step timings). */
  readonly onFailure?: () => Partial<T>;
}

/**
 * Runs a job and records its summary (atomically): on success the job's
 * fields with `lastSuccess` = now; on failure the error with the previous
 * `lastSuccess` kept, written on a best-effort basis (the disk may be the
 * reason it failed), and the error rethrown. A summary that cannot be
 * written after a success fails the run.
 */
export async function recordRun<T extends object>(options: RecordRunOptions<T>): Promise<RunSummary<T>> {
  const { dataDir, file, clock } = options;
  const startedAt = clock();
  const previous = await readRunSummary<T>(dataDir, file);
  try {
    const fields = await options.run(startedAt);
    const finishedAt = clock().toISOString();
    const summary = {
      ok: true,
      status: "succeeded",
      startedAt: startedAt.toISOString(),
      finishedAt,
      lastSuccess: finishedAt,
      ...fields,
    } as RunSummary<T>;
    await writeRunSummary(dataDir, file, summary);
    return summary;
  } catch (err) {
    const failed = {
      ok: false,
      status: "failed",
      startedAt: startedAt.toISOString(),
      finishedAt: clock().toISOString(),
      lastSuccess: previous?.lastSuccess ?? null,
      error: err instanceof Error ? err.message : String(err),
      ...options.onFailure?.(),
    } as RunSummary<T>;
    await writeRunSummary(dataDir, file, failed).catch(() => undefined);
    throw err;
  }
}
