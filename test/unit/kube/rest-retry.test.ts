import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError, RestClient, retryAfterMs } from "../../../src/kube/rest.js";

/**
 * The client re-sends a request the server refused with Retry-After (429, or
 * a 5xx carrying the header), as client-go does, and fails at once on a 5xx
 * without it (the work queue's backoff handles that). A plain HTTP server
 * stands in for the apiserver: only the status line and header matter here.
 */

let server: Server;
let answers: { status: number; retryAfter?: string }[] = [];
let seen: { method: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", body });
      const next = answers.shift() ?? { status: 200 };
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (next.retryAfter !== undefined) headers["retry-after"] = next.retryAfter;
      res.writeHead(next.status, headers);
      res.end(JSON.stringify(next.status === 200 ? { ok: true } : { reason: "Injected", message: "no" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

async function client(): Promise<RestClient> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "c",
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        // client-node refuses plain HTTP unless TLS verification is off; there is no TLS here at all.
        skipTLSVerify: true,
      },
    ],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return RestClient.fromKubeConfig(kc);
}

beforeEach(() => {
  answers = [];
  seen = [];
});

describe("RestClient honours Retry-After", () => {
  test("429 with Retry-After twice, then 200: one call succeeds, the body is re-sent each time", async () => {
    answers = [
      { status: 429, retryAfter: "0" },
      { status: 429, retryAfter: "0" },
    ];
    const c = await client();
    const codes: number[] = [];
    c.onRequest((_m, _p, status) => codes.push(status));
    await expect(c.request("PATCH", "/x", { body: { a: 1 } })).resolves.toEqual({ ok: true });
    expect(codes).toEqual([429, 429, 200]);
    expect(seen.map((s) => s.body)).toEqual(['{"a":1}', '{"a":1}', '{"a":1}']);
    c.close();
  });

  test("503 with Retry-After is retried; 500 without it fails at once", async () => {
    answers = [{ status: 503, retryAfter: "0" }];
    const c = await client();
    await expect(c.request("GET", "/x")).resolves.toEqual({ ok: true });
    answers = [{ status: 500 }];
    seen = [];
    await expect(c.request("GET", "/x")).rejects.toMatchObject({ status: 500 });
    expect(seen).toHaveLength(1);
    c.close();
  });

  test("gives up after a bounded number of attempts and reports the 429", async () => {
    answers = Array.from({ length: 20 }, () => ({ status: 429, retryAfter: "0" }));
    const c = await client();
    const err = await c.request("GET", "/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(429);
    expect(seen).toHaveLength(6);
    c.close();
  });

  test("retryAfterMs: which answers wait, and the cap", () => {
    expect(retryAfterMs(429, "1")).toBe(1000);
    expect(retryAfterMs(503, "2")).toBe(2000);
    expect(retryAfterMs(429, "3600")).toBe(5000);
    expect(retryAfterMs(429, undefined)).toBeUndefined();
    expect(retryAfterMs(500, undefined)).toBeUndefined();
    expect(retryAfterMs(409, "1")).toBeUndefined();
    // An HTTP date is legal but the apiserver never sends one; not waiting on it is the safe reading.
    expect(retryAfterMs(429, "Wed, 21 Oct 2015 07:28:00 GMT")).toBeUndefined();
  });
});

describe("RestClient request framing", () => {
  test("a DELETE body (DeleteOptions with a uid precondition) reaches the server", async () => {
    // Without Content-Length, Node sends a DELETE body unframed: the server reads no body and the
    // apiserver deleted without the precondition (seen on the real kube-apiserver).
    const c = await client();
    const options = { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid: "u-1" } };
    await c.request("DELETE", "/x", { body: options });
    expect(seen).toEqual([{ method: "DELETE", body: JSON.stringify(options) }]);
    c.close();
  });
});
