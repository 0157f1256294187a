import { stat } from "node:fs/promises";
import { join } from "node:path";
import { METRIC_CATALOGUE, seriesNames } from "../../../src/monitoring/metric-names.js";
import {
  FEATURES,
  MODEL_A,
  PANEL,
  json,
  makeDataDir,
  startScorer,
  until,
  writeStandardData,
  type DataDir,
  type Running,
} from "./fakes.js";
import { rawExchange } from "./raw-http.js";

/** Every route of design §5 against the real server on loopback, with the fake model and panel. */

let data: DataDir;
let s: Running;

beforeAll(async () => {
  data = await makeDataDir();
  await writeStandardData(data);
  await data.write("runs/pipeline-last.json", { ok: true, finishedAt: "2026-11-27T22:30:00Z" });
  await data.write("runs/backup-last.json", { status: "success", lastSuccess: "2026-11-27T23:05:00Z" });
  s = await startScorer(data.dir);
});

afterAll(async () => {
  await s.stop();
  await data.cleanup();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(s.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

function expectError(body: Record<string, unknown>, code: string): void {
  const error = body.error as Record<string, unknown>;
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe("string");
  expect("details" in error).toBe(true);
}

describe("GET /health", () => {
  test("answers ok", async () => {
    const res = await fetch(`${s.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toMatch(/.+/);
  });

  test("echoes a well-formed request id", async () => {
    const res = await fetch(`${s.url}/health`, { headers: { "x-request-id": "abc-123" } });
    expect(res.headers.get("x-request-id")).toBe("abc-123");
  });
});

describe("GET /ready", () => {
  test("is ready with the model and the panel loaded, in the original string form", async () => {
    const res = await fetch(`${s.url}/ready`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      status: "ready",
      model_loaded: "true",
      expected_available: "true",
      features_available: "true",
      as_of: "2026-11-27",
    });
    expect(body.model_sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("POST /score", () => {
  test("scores posted prices with the model", async () => {
    const res = await post("/score", { prices: { X: [100, 101, 110], Y: [50, 40] } });
    expect(res.status).toBe(200);
    const { alpha } = (await res.json()) as { alpha: Record<string, number> };
    expect(alpha.X).toBeCloseTo(0.5 + 2 * (110 / 101 - 1) + 0.01 * 3, 12);
    expect(alpha.Y).toBeCloseTo(0.5 + 2 * (40 / 50 - 1) + 0.01 * 2, 12);
  });

  test("rejects malformed JSON with 400 invalid_json", async () => {
    const res = await post("/score", "{not json");
    expect(res.status).toBe(400);
    expectError(await json(res), "invalid_json");
  });

  test("rejects an empty body with 400", async () => {
    const res = await post("/score", "");
    expect(res.status).toBe(400);
    expectError(await json(res), "invalid_json");
  });

  test("rejects invalid prices with 400 validation_failed naming the field", async () => {
    for (const body of [
      {},
      { prices: {} },
      { prices: { X: [1, -2] } },
      { prices: { X: "1,2" } },
      { prices: { "a b": [1, 2] } },
    ]) {
      const res = await post("/score", body);
      expect(res.status).toBe(400);
      const err = await json(res);
      expectError(err, "validation_failed");
    }
  });

  test("rejects a __proto__ ticker without touching prototypes", async () => {
    const res = await post("/score", '{"prices": {"__proto__": [1, 2]}}');
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>)["0"]).toBeUndefined();
  });

  test("reports too short a history as 400 insufficient_history", async () => {
    const res = await post("/score", { prices: { X: [100] } });
    expect(res.status).toBe(400);
    expectError(await json(res), "insufficient_history");
  });

  test("answers 415 to a non-JSON content type", async () => {
    const res = await fetch(`${s.url}/score`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    expect(res.status).toBe(415);
    expectError(await json(res), "unsupported_media_type");
  });

  test("answers 415 when the content type is missing", async () => {
    const res = await fetch(`${s.url}/score`, { method: "POST", body: new Uint8Array([123, 125]) });
    expect(res.status).toBe(415);
  });

  test("accepts application/json with a charset", async () => {
    const res = await post(
      "/score",
      { prices: { X: [1, 2] } },
      { "content-type": "application/json; charset=utf-8" },
    );
    expect(res.status).toBe(200);
  });
});

describe("POST and GET /score_expected", () => {
  test("POST without tickers returns the whole panel and its date", async () => {
    const res = await post("/score_expected", {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ alpha: PANEL.alpha, as_of: PANEL.as_of });
  });

  test("POST with an empty body and no content type is the whole panel", async () => {
    const res = await fetch(`${s.url}/score_expected`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { alpha: object }).alpha).toEqual(PANEL.alpha);
  });

  test("POST with tickers returns those, in order", async () => {
    const res = await post("/score_expected", { tickers: ["CCC", "AAA"] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { alpha: Record<string, number> };
    expect(Object.keys(body.alpha)).toEqual(["CCC", "AAA"]);
    expect(body.alpha.CCC).toBe(0.05);
  });

  test("POST with tickers: null is the whole panel (FastAPI Optional)", async () => {
    const res = await post("/score_expected", { tickers: null });
    expect(res.status).toBe(200);
  });

  test("an unknown ticker is a 404 listing it", async () => {
    const res = await post("/score_expected", { tickers: ["AAA", "NOPE"] });
    expect(res.status).toBe(404);
    const body = await json(res);
    expectError(body, "unknown_ticker");
    expect((body.error as { details: { unknown: string[] } }).details.unknown).toEqual(["NOPE"]);
  });

  test("GET ?tickers=A,B filters", async () => {
    const res = await fetch(`${s.url}/score_expected?tickers=BBB,%20AAA`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { alpha: object }).alpha).toEqual({ BBB: -0.2, AAA: 0.1 });
  });

  test("GET with an invalid ticker list is 400", async () => {
    const res = await fetch(`${s.url}/score_expected?tickers=${"X".repeat(100)}`);
    expect(res.status).toBe(400);
  });

  test("ETag and If-None-Match give 304, and a different selection a different tag", async () => {
    const first = await fetch(`${s.url}/score_expected`);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${s.url}/score_expected`, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const weak = await fetch(`${s.url}/score_expected`, { headers: { "if-none-match": `W/${etag!}, "x"` } });
    expect(weak.status).toBe(304);
    const other = await fetch(`${s.url}/score_expected?tickers=AAA`, { headers: { "if-none-match": etag! } });
    expect(other.status).toBe(200);
    expect(other.headers.get("etag")).not.toBe(etag);
    const viaPost = await post("/score_expected", {}, { "if-none-match": etag! });
    expect(viaPost.status).toBe(304);
  });
});

describe("POST /explain_local", () => {
  interface Local {
    ticker: string;
    top_features: [string, number][];
    base_value: number;
    prediction: number;
    feature_values: Record<string, number | null>;
    other_shap: number;
    source: string;
  }

  test("explains the stored panel row; base_value + Σ shap = prediction", async () => {
    const res = await post("/explain_local", { ticker: "BBB" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Local;
    expect(body.ticker).toBe("BBB");
    expect(body.source).toBe("panel");
    expect(body.feature_values).toEqual({ ret_1: -0.02, n_prices: 20 });
    expect(body.base_value).toBe(0.5);
    const sum = body.top_features.reduce((a, [, v]) => a + v, 0) + body.other_shap;
    expect(body.base_value + sum).toBeCloseTo(body.prediction, 12);
    expect(body.prediction).toBeCloseTo(0.5 + 2 * -0.02 + 0.01 * 20, 12);
    expect(body.top_features.map(([f]) => f)).toEqual(["n_prices", "ret_1"]);
  });

  test("a missing feature value is null and contributes nothing", async () => {
    const body = (await (await post("/explain_local", { ticker: "CCC", top_k: 1 })).json()) as Local;
    expect(body.feature_values.ret_1).toBeNull();
    expect(body.top_features).toEqual([["n_prices", 0.3]]);
    expect(body.other_shap).toBe(0);
  });

  test("top_k limits the features and other_shap holds the rest", async () => {
    const body = (await (await post("/explain_local", { ticker: "AAA", top_k: 1 })).json()) as Local;
    expect(body.top_features).toHaveLength(1);
    expect(body.other_shap).toBeCloseTo(2 * 0.01, 12);
  });

  test("repeated requests give identical answers (cache)", async () => {
    const a = await (await post("/explain_local", { ticker: "AAA" })).json();
    const b = await (await post("/explain_local", { ticker: "AAA" })).json();
    expect(b).toEqual(a);
  });

  test("explains posted prices", async () => {
    const res = await post("/explain_local", { ticker: "X", prices: { X: [10, 11], Y: [3, 2, 1] } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Local;
    expect(body.source).toBe("prices");
    expect(body.feature_values).toEqual({ ret_1: 11 / 10 - 1, n_prices: 2 });
    expect(body.prediction).toBeCloseTo(0.5 + 2 * 0.1 + 0.02, 12);
  });

  test("an unknown ticker is 404, in the panel or in posted prices", async () => {
    const a = await post("/explain_local", { ticker: "NOPE" });
    expect(a.status).toBe(404);
    expectError(await json(a), "unknown_ticker");
    const b = await post("/explain_local", { ticker: "Z", prices: { X: [1, 2] } });
    expect(b.status).toBe(404);
  });

  test("invalid requests are 400", async () => {
    for (const body of [
      {},
      { ticker: "" },
      { ticker: "A", top_k: 0 },
      { ticker: "A", top_k: 1.5 },
      { ticker: 3 },
    ]) {
      const res = await post("/explain_local", body);
      expect(res.status).toBe(400);
      expectError(await json(res), "validation_failed");
    }
  });
});

describe("GET /explain", () => {
  test("mean |SHAP| over the panel, sorted, with as_of and rows", async () => {
    const res = await fetch(`${s.url}/explain`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      feature_importance: Record<string, number>;
      method: string;
      rows: number;
    };
    expect(body).toMatchObject({ method: "mean_abs_shap", as_of: "2026-11-27", rows: 3 });
    expect(body.feature_importance.n_prices).toBeCloseTo((0.1 + 0.2 + 0.3) / 3, 12);
    expect(body.feature_importance.ret_1).toBeCloseTo((0.02 + 0.04 + 0) / 3, 12);
    expect(Object.keys(body.feature_importance)).toEqual(["n_prices", "ret_1"]);
  });

  test("top_k and type=gain|split", async () => {
    const top = (await (await fetch(`${s.url}/explain?top_k=1`)).json()) as { feature_importance: object };
    expect(Object.keys(top.feature_importance)).toEqual(["n_prices"]);
    const gain = (await (await fetch(`${s.url}/explain?type=gain`)).json()) as {
      method: string;
      feature_importance: object;
    };
    expect(gain).toMatchObject({ method: "gain", feature_importance: { ret_1: 2, n_prices: 0.01 } });
    const split = await fetch(`${s.url}/explain?type=split`);
    expect(((await split.json()) as { method: string }).method).toBe("split");
  });

  test("bad query values are 400", async () => {
    for (const q of ["type=weight", "top_k=0", "top_k=abc"]) {
      const res = await fetch(`${s.url}/explain?${q}`);
      expect(res.status).toBe(400);
    }
  });
});

describe("GET /metrics", () => {
  test("exposes every scorer metric of the monitoring catalogue (design §6) in Prometheus text", async () => {
    await fetch(`${s.url}/health`);
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const doc of METRIC_CATALOGUE.filter((m) => m.exporter === "scorer"))
      for (const series of seriesNames(doc)) expect(text).toMatch(new RegExp(`^${series}[ {]`, "m"));
    expect(text).toContain("maie_model_loaded 1");
    expect(text).toContain("maie_expected_tickers 3");
    expect(text).toContain('maie_expected_alpha_quantile{q="0.5"} 0.05');
    expect(text).toContain(
      `maie_pipeline_last_success_timestamp ${Date.parse("2026-11-27T22:30:00Z") / 1000}`,
    );
    expect(text).toContain(`maie_backup_last_success_timestamp ${Date.parse("2026-11-27T23:05:00Z") / 1000}`);
    const written = (await stat(join(data.dir, "expected/expected_latest.parquet"))).mtimeMs / 1000;
    expect(text).toContain(`maie_expected_latest_timestamp ${written}`);
    expect(text).toMatch(/maie_api_requests_total\{endpoint="\/health",method="GET",code="200"\} \d+/);
    expect(text).toMatch(/maie_model_info\{format="fake",sha256="[0-9a-f]{64}",trees="3",features="2"\} 1/);
  });
});

describe("GET /openapi.json", () => {
  test("is OpenAPI 3.1 with every route and the schemas of the validators", async () => {
    const res = await fetch(`${s.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { properties: object } }> } }>
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/explain",
        "/explain_local",
        "/health",
        "/metrics",
        "/openapi.json",
        "/ready",
        "/score",
        "/score_expected",
      ].sort(),
    );
    expect(Object.keys(doc.paths["/score_expected"]!).sort()).toEqual(["get", "post"]);
    const schema = doc.paths["/explain_local"]!.post!.requestBody!.content["application/json"]!.schema;
    expect(Object.keys(schema.properties).sort()).toEqual(["prices", "ticker", "top_k"]);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toBe("#/components/schemas/ErrorResponse");
  });

  test("/ready's 503 is documented with the readiness report it sends, not the error model", async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const notReady = doc.paths["/ready"]!.get!.responses["503"];
    expect(notReady).toMatchObject({
      content: {
        "application/json": { schema: { properties: { status: { enum: ["ready", "not_ready"] } } } },
      },
    });
    expect(JSON.stringify(notReady)).not.toContain("ErrorResponse");
  });
});

describe("routing errors", () => {
  test("an unknown path is 404 not_found", async () => {
    const res = await fetch(`${s.url}/nope`);
    expect(res.status).toBe(404);
    expectError(await json(res), "not_found");
  });

  test("a wrong method is 405 with Allow", async () => {
    const res = await fetch(`${s.url}/score`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expectError(await json(res), "method_not_allowed");
    const del = await fetch(`${s.url}/score_expected`, { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("POST, GET, HEAD");
  });

  test("HEAD on a GET route answers without a body", async () => {
    const res = await fetch(`${s.url}/health`, { method: "HEAD" });
    expect(res.status).toBe(200);
  });

  test("a body over the limit is 413, by Content-Length or streamed", async () => {
    const big = JSON.stringify({ prices: { X: Array.from({ length: 300_000 }, () => 1.5) } });
    const res = await post("/score", big);
    expect(res.status).toBe(413);
    expectError(await json(res), "payload_too_large");
    const chunked = await fetch(`${s.url}/score`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 40; i++) c.enqueue(new TextEncoder().encode(" ".repeat(64 * 1024)));
          c.close();
        },
      }),
      duplex: "half",
    });
    expect(chunked.status).toBe(413);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  test("malformed HTTP gets a JSON 400 and the server lives on", async () => {
    const reply = await rawExchange(s.url, "GARBAGE\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1.1 400/);
    expect(reply).toContain('"code":"invalid_json"');
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });
});

describe("fixture sanity", () => {
  test("the fake data are what the assertions assume", () => {
    expect(MODEL_A.features).toEqual(["ret_1", "n_prices"]);
    expect(FEATURES.tickers).toEqual(Object.keys(PANEL.alpha));
  });

  test("until() resolves once the predicate holds", async () => {
    let n = 0;
    await until(() => ++n >= 3, 1);
    expect(n).toBe(3);
  });
});
