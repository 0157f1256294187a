import { pino, type Logger } from "pino";
import { accessLogLevel, readinessChange, ReadinessLog } from "../../../src/scorer/log-policy.js";
import { makeDataDir, MODEL_A, PANEL, startScorer, until, type DataDir } from "./fakes.js";

/**
 * An expected state is not an error: a new resource's scorer answers /ready
 * with 503 every few seconds until its data arrives, and that must be one
 * warn line when it becomes not ready and one info line when it becomes
 * ready, not an error line per probe.
 */

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  return { logger, lines };
}

const NOT_READY = {
  ready: false,
  reason: "expected panel not loaded (/data/expected/expected_latest.parquet)",
};
const MODEL_MISSING = { ready: false, reason: "model not loaded (/data/models/model.txt)" };
const READY = { ready: true, reason: null };

describe("readinessChange", () => {
  test("the first observation is reported: warn with the reason, or info", () => {
    expect(readinessChange(undefined, NOT_READY)).toEqual({
      level: "warn",
      msg: "not ready",
      fields: { reason: NOT_READY.reason },
    });
    expect(readinessChange(undefined, READY)).toEqual({ level: "info", msg: "ready", fields: {} });
  });

  test("the same state again is not; a new reason or a flip is", () => {
    expect(readinessChange(NOT_READY, { ...NOT_READY })).toBeNull();
    expect(readinessChange(READY, { ...READY })).toBeNull();
    expect(readinessChange(NOT_READY, MODEL_MISSING)).toEqual({
      level: "warn",
      msg: "not ready",
      fields: { reason: MODEL_MISSING.reason },
    });
    expect(readinessChange(MODEL_MISSING, READY)).toMatchObject({ level: "info", msg: "ready" });
    expect(readinessChange(READY, NOT_READY)).toMatchObject({ level: "warn", msg: "not ready" });
  });
});

describe("ReadinessLog", () => {
  test("a repeated not-ready state logs once; each transition logs again", () => {
    const { logger, lines } = capture();
    const log = new ReadinessLog(logger);
    for (let i = 0; i < 10; i++) log.observe(NOT_READY);
    expect(lines.map((l) => [l.level, l.msg, l["reason"]])).toEqual([[40, "not ready", NOT_READY.reason]]);
    for (let i = 0; i < 10; i++) log.observe(READY);
    for (let i = 0; i < 10; i++) log.observe(NOT_READY);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, "not ready"],
      [30, "ready"],
      [40, "not ready"],
    ]);
  });
});

describe("accessLogLevel", () => {
  test("probes and scrapes are debug, including /ready's own 503 report", () => {
    expect(accessLogLevel("/ready", 503, undefined)).toBe("debug");
    expect(accessLogLevel("/ready", 200, undefined)).toBe("debug");
    expect(accessLogLevel("/health", 200, undefined)).toBe("debug");
    expect(accessLogLevel("/metrics", 200, undefined)).toBe("debug");
  });

  test("expected unavailability is warn; failures are error", () => {
    expect(accessLogLevel("/score_expected", 503, "not_ready")).toBe("warn");
    expect(accessLogLevel("/score", 503, "shutting_down")).toBe("warn");
    expect(accessLogLevel("/score", 503, "timeout")).toBe("error");
    expect(accessLogLevel("/explain_local", 503, "feature_skew")).toBe("error");
    expect(accessLogLevel("/score", 500, "internal")).toBe("error");
    expect(accessLogLevel("/metrics", 500, "internal")).toBe("error");
    expect(accessLogLevel("/health", 503, "timeout")).toBe("error");
  });

  test("client errors and successes are info (499: the client went away)", () => {
    expect(accessLogLevel("/score", 200, undefined)).toBe("info");
    expect(accessLogLevel("/score", 400, "validation_failed")).toBe("info");
    expect(accessLogLevel("unmatched", 404, "not_found")).toBe("info");
    expect(accessLogLevel("/score", 499, undefined)).toBe("info");
  });
});

describe("the scorer's log while a new resource has no data", () => {
  let data: DataDir;
  beforeEach(async () => {
    data = await makeDataDir();
  });
  afterEach(async () => {
    await data.cleanup();
  });

  test("repeated failing /ready probes: one warn, no error; the transition to ready: one info", async () => {
    const { logger, lines } = capture();
    const s = await startScorer(data.dir, {}, undefined, logger);
    try {
      for (let i = 0; i < 5; i++) expect((await fetch(`${s.url}/ready`)).status).toBe(503);
      const readiness = () => lines.filter((l) => l.msg === "ready" || l.msg === "not ready");
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
      expect(readiness().map((l) => [l.level, l.msg, l["reason"]])).toEqual([
        [40, "not ready", expect.stringMatching(/^expected panel not loaded/)],
      ]);
      expect(lines.filter((l) => l.msg === "request").map((l) => l.level)).toEqual([20, 20, 20, 20, 20]);

      await data.write("expected/expected_latest.parquet", PANEL);
      await until(() => readiness().length === 2);
      await data.write("models/model.txt", MODEL_A);
      await until(() => readiness().length === 3);
      for (let i = 0; i < 5; i++) expect((await fetch(`${s.url}/ready`)).status).toBe(200);
      expect(readiness().map((l) => [l.level, l.msg, l["reason"]])).toEqual([
        [40, "not ready", expect.stringMatching(/^expected panel not loaded/)],
        [40, "not ready", expect.stringMatching(/^model not loaded/)],
        [30, "ready", undefined],
      ]);
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      await s.stop();
    }
  });

  test("a scoring request refused while not ready is a warn, not an error", async () => {
    const { logger, lines } = capture();
    const s = await startScorer(data.dir, {}, undefined, logger);
    try {
      expect((await fetch(`${s.url}/score_expected`)).status).toBe(503);
      await until(() => lines.some((l) => l.msg === "request"));
      expect(lines.find((l) => l.msg === "request")).toMatchObject({
        level: 40,
        route: "/score_expected",
        status: 503,
      });
    } finally {
      await s.stop();
    }
  });
});
