import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PIPELINE_SUMMARY } from "../contract/data-layout.js";
import { writeFileAtomic } from "../util/atomic-write.js";

export interface PipelineSummary {
  readonly ok: boolean;
  readonly status: "succeeded" | "failed";
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Finish time of the latest successful run (this one when `ok`), or null if none ever succeeded. */
  readonly lastSuccess: string | null;
  readonly error?: string;
  readonly asOf?: string;
  readonly featureSet?: string;
  readonly tickers?: number;
  readonly scored?: number;
  readonly skipped?: readonly string[];
  readonly gaps?: number;
  readonly model?: {
    readonly path: string;
    readonly format: string;
    readonly sha256: string;
    readonly trees: number;
  };
  readonly prices?: { readonly source: string; readonly firstDate: string; readonly lastDate: string };
  readonly outputs?: readonly string[];
  readonly stepsMs?: Readonly<Record<string, number>>;
}

/** The last summary, or null when there is none or it cannot be read. */
export async function readPipelineSummary(dataDir: string): Promise<PipelineSummary | null> {
  try {
    return JSON.parse(await readFile(join(dataDir, PIPELINE_SUMMARY), "utf8")) as PipelineSummary;
  } catch {
    return null;
  }
}

export async function writePipelineSummary(dataDir: string, summary: PipelineSummary): Promise<void> {
  await writeFileAtomic(join(dataDir, PIPELINE_SUMMARY), JSON.stringify(summary, null, 2) + "\n");
}
