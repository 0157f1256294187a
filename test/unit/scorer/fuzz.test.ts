import fc from "fast-check";
import { makeDataDir, startScorer, writeStandardData, type DataDir, type Running } from "./fakes.js";
import { rawExchange } from "./raw-http.js";

/**
 * Property: whatever arrives (random JSON, random bytes, random methods,
 * paths, content types and raw HTTP), the answer is never a 5xx other than
 * 503, every error is the JSON error model, and the process keeps serving.
 */

let data: DataDir;
let s: Running;

beforeAll(async () => {
  data = await makeDataDir();
  await writeStandardData(data);
  s = await startScorer(data.dir, { bodyLimitBytes: "65536" });
});

afterAll(async () => {
  await s.stop();
  await data.cleanup();
});

const PATHS = [
  "/score",
  "/score_expected",
  "/explain_local",
  "/explain",
  "/health",
  "/ready",
  "/openapi.json",
  "/x",
];

async function checkResponse(res: Response): Promise<void> {
  expect(res.status).toBeLessThan(500);
  const text = await res.text();
  if (res.status >= 400) {
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    expect(typeof body.error.code).toBe("string");
    expect(typeof body.error.message).toBe("string");
  }
}

const ticker = fc.oneof(
  fc.constantFrom("AAA", "BBB", "CCC", "X", "__proto__", "constructor", ""),
  fc.string(),
);
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 1e308, -1e-308));
const pricesLike = fc.oneof(
  fc.dictionary(ticker, fc.array(number, { maxLength: 30 }), { maxKeys: 5 }),
  fc.anything(),
);
const bodyLike = fc.oneof(
  fc.record({ prices: pricesLike }, { requiredKeys: [] }),
  fc.record({ tickers: fc.oneof(fc.array(ticker, { maxLength: 6 }), fc.anything()) }, { requiredKeys: [] }),
  fc.record(
    { ticker, top_k: fc.oneof(fc.integer(), fc.double(), fc.string()), prices: pricesLike },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
  fc.anything(),
);

test("random JSON bodies on every POST route: no 5xx", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("/score", "/score_expected", "/explain_local"),
      bodyLike,
      async (path, body) => {
        let text: string;
        try {
          // JSON.stringify(undefined) is undefined at run time although typed string.
          text = body === undefined ? "null" : JSON.stringify(body);
        } catch {
          text = "{";
        }
        const res = await fetch(s.url + path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: text,
        });
        await checkResponse(res);
      },
    ),
    { numRuns: 400 },
  );
});

test("random bytes, content types, methods, paths and queries: no 5xx", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...PATHS),
      fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
      fc.oneof(
        fc.constantFrom("application/json", "text/plain", "application/x+json", "", "application/json; x"),
        fc.string(),
      ),
      fc.uint8Array({ maxLength: 2048 }),
      fc.string({ maxLength: 80 }),
      async (path, method, contentType, bytes, query) => {
        const headers: Record<string, string> = {};
        if (contentType !== "" && /^[\t\x20-\x7e]*$/.test(contentType)) headers["content-type"] = contentType;
        const res = await fetch(
          `${s.url}${path}?${encodeURIComponent(query)}&top_k=${encodeURIComponent(query)}`,
          {
            method,
            headers,
            ...(method === "GET" ? {} : { body: bytes }),
          },
        );
        await checkResponse(res);
      },
    ),
    { numRuns: 300 },
  );
});

test("raw malformed HTTP on a socket: the server answers or closes, and lives on", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
      const reply = await rawExchange(s.url, bytes, true);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1];
      if (status !== undefined) expect(Number(status)).toBeLessThan(500);
    }),
    { numRuns: 150 },
  );
  expect((await fetch(`${s.url}/health`)).status).toBe(200);
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  expect(metrics).not.toMatch(/code="5\d\d"/);
});
