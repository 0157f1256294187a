import { PIPELINE_SUMMARY } from "../contract/data-layout.js";
import { readRunSummary, type RunSummary } from "../job/summary.js";

/** What a pipeline run records besides its outcome (`runs/pipeline-last.json`). */
export interface PipelineRun {
  readonly asOf: string;
  readonly featureSet: string;
  readonly tickers: number;
  readonly scored: number;
  readonly skipped: readonly string[];
  readonly gaps: number;
  readonly model: {
    readonly path: string;
    readonly format: string;
    readonly sha256: string;
    readonly trees: number;
  };
  readonly prices: { readonly source: string; readonly firstDate: string; readonly lastDate: string };
  readonly outputs: readonly string[];
  /** Milliseconds per step; recorded on failure too. */
  readonly stepsMs: Readonly<Record<string, number>>;
}

export type PipelineSummary = RunSummary<PipelineRun>;

/** The last summary, or null when there is none or it cannot be read. */
export const readPipelineSummary = (dataDir: string): Promise<PipelineSummary | null> =>
  readRunSummary<PipelineRun>(dataDir, PIPELINE_SUMMARY);
