import type { Logger } from "pino";
import type { ErrorCode } from "./errors.js";
import type { Readiness } from "./state.js";

/**
 * Which scorer log lines are errors. `error` is what an operator is paged or
 * a tracker opens an issue for (docs/logging.md), so it is kept for
 * failures: an expected, documented state (no data yet, draining) is not
 * one, and neither is a probe answering what it is asked.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Kubelet probes and Prometheus scrapes: every few seconds per pod, forever.
 * Their answers are the readiness transitions and the metrics themselves,
 * so the access log line adds nothing at `info`.
 */
const MACHINE_ROUTES: ReadonlySet<string> = new Set(["/health", "/ready", "/metrics"]);

/**
 * 503s that mean "this pod cannot serve yet, any more, or right now (its
 * compute queue is full)": the client retries elsewhere or later.
 */
const EXPECTED_UNAVAILABLE: ReadonlySet<ErrorCode> = new Set(["not_ready", "shutting_down", "overloaded"]);

/**
 * The access log level of one finished request. `code` is the error model's
 * code when one was sent; `/ready`'s 503 is its own report and has none.
 */
export function accessLogLevel(route: string, status: number, code: ErrorCode | undefined): LogLevel {
  const machine = MACHINE_ROUTES.has(route);
  if (status < 500) return machine ? "debug" : "info";
  if (code !== undefined && EXPECTED_UNAVAILABLE.has(code)) return "warn";
  if (code === undefined && machine) return "debug";
  return "error";
}

export interface LogLine {
  readonly level: "info" | "warn";
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * The line to write when readiness is observed again, or null when nothing
 * changed. A different reason while still not ready is a change (the panel
 * arrived, now the model is missing): it tells what to do next.
 */
export function readinessChange(previous: Readiness | undefined, next: Readiness): LogLine | null {
  if (previous !== undefined && previous.ready === next.ready && previous.reason === next.reason) return null;
  if (next.ready) return { level: "info", msg: "ready", fields: {} };
  return { level: "warn", msg: "not ready", fields: { reason: next.reason } };
}

/** Logs readiness transitions, once each, however often readiness is looked at. */
export class ReadinessLog {
  #last: Readiness | undefined;

  constructor(private readonly log: Logger) {}

  observe(next: Readiness): void {
    const line = readinessChange(this.#last, next);
    this.#last = next;
    if (line === null) return;
    if (line.level === "info") this.log.info(line.fields, line.msg);
    else this.log.warn(line.fields, line.msg);
  }
}
