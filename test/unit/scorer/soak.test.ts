import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareSampleData, runSoak, slope, type SoakResult } from "../../../bench/scorer/soak-lib.js";

/**
 * The CI-sized scorer soak (the bounded command is `node dist/bench/scorer/soak.js`,
 * 60 s by default): a real `maie scorer` process on the sample model at twice
 * design §9's 200 req/s for 20 s, a valid model renamed in half-way and a
 * corrupt one at three quarters. Asserts outcomes only (errors, status codes,
 * the swap, memory), never latency: the CI machine is shared.
 */

describe("scorer soak", () => {
  let dir: string;
  let r: SoakResult;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "maie-soak-test-"));
    const data = prepareSampleData(dir);
    r = await runSoak({ ...data, rate: 400, seconds: 20, warmupSeconds: 5, progress: (l) => lines.push(l) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("400 req/s with a hot swap and a corrupt model: every response 200, nothing counted as an error", () => {
    expect({ errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx }).toEqual({
      errors: 0,
      timeouts: 0,
      non2xx: 0,
    });
    expect(Object.keys(r.byStatus)).toEqual(["200"]);
    expect(r.serverErrorCodes).toEqual({});
    // The load really happened: at least a quarter of the scheduled requests
    // (a floor, not a throughput target; autocannon paces to the rate).
    expect(r.requests).toBeGreaterThan(0.25 * 400 * 20);
    expect(r.alive).toBe(true);
    expect(r.healthAfter).toBe(200);
  });

  test("the valid model was swapped in and the corrupt one refused; the swapped model kept serving", () => {
    expect(r.swap.after).not.toBeNull();
    expect(r.swap.after).not.toBe(r.swap.before);
    expect(r.corrupt.failuresAfter).toBe(r.corrupt.failuresBefore + 1);
    expect(r.corrupt.shaAfter).toBe(r.swap.after);
  });

  test("RSS after warm-up stays bounded (generous: a swap loads a second WASM instance)", () => {
    expect(r.rss.samples.length).toBeGreaterThanOrEqual(15);
    expect(r.rss.lastMiB - r.rss.firstAfterWarmupMiB).toBeLessThan(64);
    expect(r.rss.maxMiB).toBeLessThan(512);
    expect(lines.some((l) => /swap observed/.test(l))).toBe(true);
  });

  test("slope() is the least-squares slope", () => {
    expect(slope([0, 1, 2, 3].map((t) => ({ t, y: 2 * t + 5 })))).toBeCloseTo(2, 12);
    expect(slope([{ t: 1, y: 3 }])).toBe(0);
  });
});
