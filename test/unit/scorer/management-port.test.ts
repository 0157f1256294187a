import { loadConfig } from "../../../src/scorer/config.js";
import { json, makeDataDir, startScorer, until, writeStandardData, type DataDir } from "./fakes.js";

/** MAIE_SCORER_METRICS_PORT: probes and /metrics on their own port, /metrics off the API port. */

let data: DataDir;
beforeEach(async () => {
  data = await makeDataDir();
  await writeStandardData(data);
});
afterEach(async () => {
  await data.cleanup();
});

describe("management port", () => {
  test("serves /health, /ready and /metrics only; the API port keeps /health and /ready but not /metrics", async () => {
    const s = await startScorer(data.dir, { metricsPort: "0" });
    try {
      const management = s.scorer.managementAddress;
      expect(management).not.toBeNull();
      const m = `http://127.0.0.1:${management!.port}`;
      expect(management!.port).not.toBe(Number(new URL(s.url).port));
      await until(async () => (await fetch(`${m}/ready`)).status === 200);
      expect((await fetch(`${m}/health`)).status).toBe(200);
      const metrics = await fetch(`${m}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain("maie_api_requests_total");
      // Nothing of the API on the management port.
      for (const path of ["/score_expected", "/openapi.json", "/explain"]) {
        const res = await fetch(`${m}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
      // The API port: no /metrics, the rest as before.
      const off = await fetch(`${s.url}/metrics`);
      expect(off.status).toBe(404);
      expect(((await json(off)) as { error: { code: string } }).error.code).toBe("not_found");
      expect((await fetch(`${s.url}/ready`)).status).toBe(200);
      expect((await fetch(`${s.url}/score_expected`)).status).toBe(200);
      const openapi = (await json(await fetch(`${s.url}/openapi.json`))) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(openapi.paths)).not.toContain("/metrics");
    } finally {
      await s.stop();
    }
  });

  test("without it everything stays on the one port", async () => {
    const s = await startScorer(data.dir);
    try {
      expect(s.scorer.managementAddress).toBeNull();
      expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  test("during the drain the management port answers /ready 503, and it closes with the scorer", async () => {
    const s = await startScorer(data.dir, { metricsPort: "0" });
    const m = `http://127.0.0.1:${s.scorer.managementAddress!.port}`;
    await until(async () => (await fetch(`${m}/ready`)).status === 200);
    s.scorer.state.draining = true;
    expect((await fetch(`${m}/ready`)).status).toBe(503);
    await s.stop();
    await expect(fetch(`${m}/health`)).rejects.toThrow();
  });

  test("MAIE_SCORER_METRICS_PORT is read and validated", () => {
    expect(loadConfig({ MAIE_DATA_DIR: "/d", MAIE_SCORER_METRICS_PORT: "9090" }).metricsPort).toBe(9090);
    expect(loadConfig({ MAIE_DATA_DIR: "/d" }).metricsPort).toBeUndefined();
    expect(() => loadConfig({ MAIE_DATA_DIR: "/d", MAIE_SCORER_METRICS_PORT: "70000" })).toThrow(
      /metricsPort \(MAIE_SCORER_METRICS_PORT\)/,
    );
  });
});
