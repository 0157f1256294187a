import { connect } from "node:net";
import { writeFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import {
  fakeSources,
  FEATURES,
  MODEL_A,
  MODEL_B,
  PANEL,
  json,
  makeDataDir,
  startScorer,
  until,
  writeStandardData,
  type DataDir,
} from "./fakes.js";
import { rawExchange } from "./raw-http.js";

/** Readiness transitions, hot reload, auth, timeouts and drain, each on a fresh server. */

let data: DataDir;
beforeEach(async () => {
  data = await makeDataDir();
});
afterEach(async () => {
  await data.cleanup();
});

const ready = async (url: string) => {
  const res = await fetch(`${url}/ready`);
  return { status: res.status, body: await json(res) };
};

const metricValue = async (url: string, name: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? NaN : Number(line.split(" ").pop());
};

describe("readiness", () => {
  test("not ready with nothing on disk, then ready once panel and model arrive", async () => {
    const s = await startScorer(data.dir);
    try {
      let r = await ready(s.url);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({
        status: "not_ready",
        model_loaded: "false",
        expected_available: "false",
      });
      expect(r.body.reason).toMatch(/expected panel not loaded/);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toContain("maie_expected_latest_timestamp 0");
      expect(metrics).not.toContain("maie_pipeline_last_success_timestamp");
      expect(metrics).not.toContain("maie_backup_last_success_timestamp");
      const scored = await fetch(`${s.url}/score_expected`);
      expect(scored.status).toBe(503);
      expect(((await scored.json()) as { error: { code: string } }).error.code).toBe("not_ready");

      await data.write("expected/expected_latest.parquet", PANEL);
      await until(async () => (await ready(s.url)).body.expected_available === "true");
      r = await ready(s.url);
      expect(r.status).toBe(503);
      expect(r.body.reason).toMatch(/model not loaded/);
      expect((await fetch(`${s.url}/score_expected`)).status).toBe(200);
      const score = await fetch(`${s.url}/score`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prices: { X: [1, 2] } }),
      });
      expect(score.status).toBe(503);

      await data.write("models/model.txt", MODEL_A);
      await until(async () => (await ready(s.url)).status === 200);
      expect((await ready(s.url)).body).toMatchObject({ status: "ready", model_loaded: "true" });
    } finally {
      await s.stop();
    }
  });

  test("readinessRequiresModel=false: the panel alone is enough", async () => {
    await data.write("expected/expected_latest.parquet", PANEL);
    const s = await startScorer(data.dir, { readinessRequiresModel: "false" });
    try {
      const r = await ready(s.url);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: "ready", model_loaded: "false", expected_available: "true" });
      const explain = await fetch(`${s.url}/explain`);
      expect(explain.status).toBe(503);
    } finally {
      await s.stop();
    }
  });

  test("explain_local without a features panel is 503 and counted as a fallback", async () => {
    await data.write("models/model.txt", MODEL_A);
    await data.write("expected/expected_latest.parquet", PANEL);
    const s = await startScorer(data.dir);
    try {
      const res = await fetch(`${s.url}/explain_local`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ticker: "AAA" }),
      });
      expect(res.status).toBe(503);
      const text = await (await fetch(`${s.url}/metrics`)).text();
      expect(text).toContain('maie_explain_local_fallback_total{kind="features_panel_missing"} 1');
    } finally {
      await s.stop();
    }
  });
});

describe("hot reload", () => {
  test("a valid new model is swapped in and the old one disposed", async () => {
    await writeStandardData(data);
    const s = await startScorer(data.dir);
    try {
      const before = (await ready(s.url)).body.model_sha256;
      const oldModel = s.scorer.state.model.current!.value.model as unknown as { disposed: boolean };
      await data.write("models/model.txt", MODEL_B);
      await until(async () => (await ready(s.url)).body.model_sha256 !== before);
      const body = (await (
        await fetch(`${s.url}/explain_local`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ticker: "AAA" }),
        })
      ).json()) as { base_value: number };
      expect(body.base_value).toBe(-0.25);
      await until(() => oldModel.disposed);
      expect(await metricValue(s.url, "maie_model_reload_failures_total")).toBe(0);
    } finally {
      await s.stop();
    }
  });

  test("a corrupt model is rejected, counted, and the last good one keeps serving", async () => {
    await writeStandardData(data);
    const s = await startScorer(data.dir);
    try {
      const sha = (await ready(s.url)).body.model_sha256;
      await data.write("models/model.txt", "{ this is not a model");
      await until(async () => (await metricValue(s.url, "maie_model_reload_failures_total")) === 1);
      const r = await ready(s.url);
      expect(r.status).toBe(200);
      expect(r.body.model_sha256).toBe(sha);
      expect(await metricValue(s.url, "maie_model_loaded")).toBe(1);
      // a deleted model file also keeps the last good one
      await unlink(join(data.dir, "models/model.txt"));
      await data.write("models/other.txt", "x");
      expect((await ready(s.url)).body.model_sha256).toBe(sha);
      // and a good file after a bad one is taken
      await data.write("models/model.txt", MODEL_B);
      await until(async () => (await ready(s.url)).body.model_sha256 !== sha);
      expect(await metricValue(s.url, "maie_model_reload_failures_total")).toBe(1);
    } finally {
      await s.stop();
    }
  });

  test("a corrupt panel is rejected and counted; the last good panel keeps serving", async () => {
    await writeStandardData(data);
    const s = await startScorer(data.dir);
    try {
      await data.write("expected/expected_latest.parquet", "garbage");
      await until(async () =>
        (await fetch(`${s.url}/metrics`).then((r) => r.text())).includes(
          'maie_panel_reload_failures_total{file="expected"} 1',
        ),
      );
      const res = await fetch(`${s.url}/score_expected`);
      expect(((await res.json()) as { as_of: string }).as_of).toBe(PANEL.as_of);
    } finally {
      await s.stop();
    }
  });

  test("a new panel changes the ETag and invalidates cached explanations", async () => {
    await writeStandardData(data);
    const s = await startScorer(data.dir);
    try {
      const etag = (await fetch(`${s.url}/score_expected`)).headers.get("etag")!;
      const explain1 = (await (await fetch(`${s.url}/explain`)).json()) as { rows: number };
      expect(explain1.rows).toBe(3);
      await data.write("expected/expected_latest.parquet", { as_of: "2026-11-28", alpha: { AAA: 1 } });
      await data.write("expected/features_latest.parquet", {
        ...FEATURES,
        tickers: ["AAA"],
        values: [FEATURES.values[0]],
      });
      await until(
        async () =>
          (await fetch(`${s.url}/score_expected`, { headers: { "if-none-match": etag } })).status === 200,
      );
      await until(
        async () => ((await (await fetch(`${s.url}/explain`)).json()) as { rows: number }).rows === 1,
      );
      const local = await fetch(`${s.url}/explain_local`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ticker: "BBB" }),
      });
      expect(local.status).toBe(404);
    } finally {
      await s.stop();
    }
  });

  test("valid swaps under load: zero failed requests", async () => {
    await writeStandardData(data);
    const s = await startScorer(data.dir);
    try {
      let stop = false;
      const statuses = new Map<number, number>();
      const predictions = new Set<number>();
      const worker = async () => {
        while (!stop) {
          const res = await fetch(`${s.url}/explain_local`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ ticker: "BBB" }),
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const body = (await res.json()) as {
            prediction: number;
            base_value: number;
            top_features: [string, number][];
          };
          if (res.status === 200) {
            const sum = body.top_features.reduce((a, [, v]) => a + v, body.base_value);
            expect(sum).toBeCloseTo(body.prediction, 12);
            predictions.add(body.prediction);
          }
        }
      };
      const workers = Array.from({ length: 8 }, worker);
      const models = [MODEL_B, MODEL_A, MODEL_B, MODEL_A, MODEL_B, { ...MODEL_A, bias: 3 }];
      for (const m of models) {
        const before = s.scorer.state.model.current!.sha256;
        await data.write("models/model.txt", m);
        await until(() => s.scorer.state.model.current!.sha256 !== before);
        await new Promise((r) => setTimeout(r, 30));
      }
      stop = true;
      await Promise.all(workers);
      expect([...statuses.keys()]).toEqual([200]);
      expect(statuses.get(200)!).toBeGreaterThan(models.length);
      expect(predictions.size).toBeGreaterThanOrEqual(2);
      expect(await metricValue(s.url, "maie_model_reload_failures_total")).toBe(0);
    } finally {
      await s.stop();
    }
  });
});

describe("feature skew", () => {
  test("a model needing unknown features gets 503 feature_skew and is counted", async () => {
    await writeStandardData(data);
    await data.write("models/model.txt", { features: ["ret_1", "mystery"], weights: [1, 1], bias: 0 });
    const s = await startScorer(data.dir);
    try {
      const res = await fetch(`${s.url}/score`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prices: { X: [1, 2] } }),
      });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; details: { missing: string[] } } };
      expect(body.error.code).toBe("feature_skew");
      expect(body.error.details.missing).toEqual(["mystery"]);
      expect(await metricValue(s.url, "maie_feature_skew_total")).toBeGreaterThanOrEqual(1);
      expect((await ready(s.url)).body.feature_skew).toEqual(["mystery"]);
    } finally {
      await s.stop();
    }
  });
});

describe("bearer auth", () => {
  test("guards every route but /health, /ready and /metrics; picks up a rotated token", async () => {
    await writeStandardData(data);
    const tokenFile = join(data.dir, "token");
    await writeFile(tokenFile, "s3cret\n");
    const s = await startScorer(data.dir, { tokenFile });
    try {
      for (const path of ["/health", "/ready", "/metrics"])
        expect((await fetch(s.url + path)).status).toBe(200);
      for (const path of ["/score_expected", "/explain", "/openapi.json"]) {
        const res = await fetch(s.url + path);
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
      const wrong = await fetch(`${s.url}/score_expected`, { headers: { authorization: "Bearer s3cre" } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(`${s.url}/score_expected`, { headers: { authorization: "Bearer s3cret" } });
      expect(ok.status).toBe(200);
      await data.write("token", "rotated");
      await until(
        async () =>
          (await fetch(`${s.url}/score_expected`, { headers: { authorization: "Bearer rotated" } }))
            .status === 200,
      );
      const doc = (await (
        await fetch(`${s.url}/openapi.json`, { headers: { authorization: "bearer rotated" } })
      ).json()) as { components: { securitySchemes: object } };
      expect(doc.components.securitySchemes).toHaveProperty("bearer");
    } finally {
      await s.stop();
    }
  });

  test("a configured but missing token file stops the start", async () => {
    await expect(startScorer(data.dir, { tokenFile: join(data.dir, "absent") })).rejects.toThrow(/absent/);
  });
});

describe("timeouts and drain", () => {
  test("a body that never arrives gets 408 request_timeout", async () => {
    await writeStandardData(data);
    const s = await startScorer(data.dir, { requestTimeoutMs: "200" });
    try {
      const reply = await rawExchange(
        s.url,
        "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{",
      );
      expect(reply).toMatch(/^HTTP\/1.1 408/);
      expect(reply).toContain('"code":"request_timeout"');
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  test("a handler over budget gets 503 timeout and the server lives on", async () => {
    const slow = {
      ...fakeSources,
      async loadModel(bytes: Uint8Array) {
        const model = await fakeSources.loadModel(bytes, "auto");
        const shap = model.shap.bind(model);
        model.shap = (rows, n) => {
          const until = performance.now() + 30;
          while (performance.now() < until); // a slow core: 30 ms a batch
          return shap(rows, n);
        };
        return model;
      },
    };
    await writeStandardData(data);
    const many = Array.from({ length: 2048 }, (_, i) => `T${i}`);
    await data.write("expected/features_latest.parquet", {
      featureNames: ["ret_1", "n_prices"],
      tickers: many,
      values: many.map((_, i) => [i / 1000, i]),
    });
    const s = await startScorer(data.dir, { requestTimeoutMs: "100", explainCacheSize: "0" }, slow);
    try {
      const res = await fetch(`${s.url}/explain`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("timeout");
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  test("shutdown lets an in-flight request finish, then refuses connections", async () => {
    await writeStandardData(data);
    const s = await startScorer(data.dir);
    const port = Number(new URL(s.url).port);
    const body = JSON.stringify({ prices: { X: [1, 2] } });
    const sock = connect(port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    let reply = "";
    sock.on("data", (d) => (reply += d.toString()));
    const closed = new Promise((r) => sock.once("close", r));
    sock.write(
      `POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    await until(() => s.scorer.server.listening);
    await new Promise((r) => setTimeout(r, 50));
    const stopping = s.scorer.shutdown(5000);
    expect((await ready(s.url).catch(() => ({ status: 0 }))).status).not.toBe(200);
    sock.write(body);
    await closed;
    await stopping;
    expect(reply).toMatch(/^HTTP\/1.1 200/);
    expect(reply.toLowerCase()).toContain("connection: close");
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });
});
