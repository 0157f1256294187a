import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareSampleData, startScorerProcess, type ScorerProcess } from "../../../bench/scorer/soak-lib.js";

/**
 * Hostile clients against a real `maie scorer` process (sample LightGBM model,
 * panel from a pipeline run): slow clients are cut off by the server's own
 * timeouts while others are served, a 50 MiB body is refused without being
 * read, and pathological JSON is a 4xx. After all of it the process is alive
 * and healthy, and it counted no 5xx. fuzz.test.ts covers random bodies and
 * raw garbage; this file covers the deliberate attacks.
 */

const REQUEST_TIMEOUT_MS = 1000;
const MiB = 1024 * 1024;

let dir: string;
let s: ScorerProcess;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "maie-hostile-"));
  const data = prepareSampleData(dir);
  s = await startScorerProcess(data.dataDir, ["--request-timeout", String(REQUEST_TIMEOUT_MS)]);
  port = Number(new URL(s.url).port);
});

afterAll(async () => {
  await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  /** First response line the server sent, if any. */
  readonly statusLine: string | null;
  /** Bytes the client got into the kernel before the server closed. */
  readonly bytesWritten: number;
  readonly ms: number;
}

/**
 * Opens a raw socket, sends `head`, then calls `drip` every `everyMs` until
 * the server closes the connection. Resolves on close: a server that never
 * cuts the client off fails the test by jest's timeout.
 */
function trickle(head: string, drip: string, everyMs: number): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    let statusLine: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    // The drip starts once the head is written: under load a timer firing
    // before the connect callback would send a header line first (a 400).
    const sock: Socket = connect(port, "127.0.0.1", () => {
      sock.write(head);
      timer = setInterval(() => {
        if (sock.writable) sock.write(drip);
      }, everyMs);
    });
    sock.on("data", (d) => (statusLine ??= d.toString("latin1").split("\r\n")[0]!));
    sock.on("error", () => undefined);
    sock.on("close", () => {
      clearInterval(timer);
      resolve({ statusLine, bytesWritten: sock.bytesWritten, ms: Date.now() - started });
    });
  });
}

/**
 * Sends `head` and `first` body bytes, waits for the server's answer (or
 * close), then tries to push the rest of `total` as fast as the socket takes
 * it, until the server closes. A client that keeps writing after the answer
 * would get EPIPE and drop the unread 413 (node destroys the socket on the
 * write error), so the answer is read first, as a real uploader does.
 */
function flood(
  head: string,
  first: number,
  total: number,
  frame: (chunk: Buffer) => Buffer,
): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    let statusLine: string | null = null;
    let closed = false;
    let answered: () => void = () => undefined;
    const answer = new Promise<void>((r) => (answered = r));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    // Runs once connected (after `send` below is defined).
    const sock = connect(port, "127.0.0.1", () => void send());
    const send = async () => {
      sock.write(head);
      let sent = 0;
      const pump = async (upTo: number) => {
        for (; sent < upTo && !closed; sent += chunk.length)
          if (!sock.write(frame(chunk)))
            await new Promise((r) => {
              sock.once("drain", r);
              sock.once("close", r);
            });
      };
      await pump(first);
      await answer;
      await pump(total);
      sock.end();
    };
    sock.on("data", (d) => {
      statusLine ??= d.toString("latin1").split("\r\n")[0]!;
      answered();
    });
    sock.on("error", () => undefined);
    sock.on("close", () => {
      closed = true;
      answered();
      resolve({ statusLine, bytesWritten: sock.bytesWritten, ms: Date.now() - started });
    });
  });
}

const post = (path: string, body: string | Uint8Array, contentType = "application/json") =>
  fetch(`${s.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe("hostile clients", () => {
  test("slowloris headers and a trickled body are cut off by the server while normal clients are served", async () => {
    const slow = [
      ...Array.from({ length: 20 }, () =>
        trickle("GET /score_expected HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n", 200),
      ),
      trickle(
        "POST /explain_local HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
        " ",
        100,
      ),
    ];
    // Served while 21 slow connections are open.
    for (let i = 0; i < 20; i++) {
      const res = await post("/explain_local", JSON.stringify({ ticker: "SYN001", top_k: 3 }));
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const outcomes = await Promise.all(slow);
    const headerClients = outcomes.slice(0, 20);
    const bodyClient = outcomes[20]!;
    // Node answers an expired header read with 408 and closes.
    expect(headerClients.map((o) => o.statusLine)).toEqual(
      headerClients.map(() => "HTTP/1.1 408 Request Timeout"),
    );
    // The body budget is the request timeout: 408 request_timeout from the handler.
    expect(bodyClient.statusLine).toBe("HTTP/1.1 408 Request Timeout");
    process.stderr.write(
      `hostile: header trickle cut after ${Math.max(...headerClients.map((o) => o.ms))} ms, body trickle after ${bodyClient.ms} ms\n`,
    );
  });

  test("a 50 MiB body is refused with 413 and the server stops reading", async () => {
    // Declared: refused on the Content-Length header, before any body byte is read.
    const declared = await flood(
      `POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${50 * MiB}\r\n\r\n`,
      64 * 1024,
      50 * MiB,
      (c) => c,
    );
    expect(declared.statusLine).toBe("HTTP/1.1 413 Payload Too Large");
    // After the answer the client could only push what loopback socket buffers absorb, not 50 MiB.
    expect(declared.bytesWritten).toBeLessThan(16 * MiB);

    // Chunked, so the size is only known while streaming: the server stops
    // reading past the 1 MiB limit, answers 413 and closes.
    const streamed = await flood(
      "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      2 * MiB,
      50 * MiB,
      (c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from("\r\n")]),
    );
    expect(streamed.statusLine).toBe("HTTP/1.1 413 Payload Too Large");
    expect(streamed.bytesWritten).toBeLessThan(16 * MiB);
    process.stderr.write(
      `hostile: 50 MiB declared: closed after ${declared.ms} ms, ${(declared.bytesWritten / MiB).toFixed(1)} MiB left the client; ` +
        `50 MiB chunked: closed after ${streamed.ms} ms, ${(streamed.bytesWritten / MiB).toFixed(1)} MiB left the client\n`,
    );
  });

  test("deeply nested JSON is a 400, not a stack overflow", async () => {
    for (const depth of [100_000, 300_000]) {
      const arrays = await post("/explain_local", "[".repeat(depth) + "]".repeat(depth));
      expect(arrays.status).toBe(400);
      const objects = await post(
        "/score",
        `{"prices":${'{"a":'.repeat(depth / 2)}1${"}".repeat(depth / 2)}}`,
      );
      expect(objects.status).toBe(400);
      expect(await errorCode(objects)).toBe("validation_failed");
      // Unbalanced: the parser must fail, not recurse.
      const open = await post("/score_expected", "[".repeat(depth));
      expect(open.status).toBe(400);
      expect(await errorCode(open)).toBe("invalid_json");
    }
  });

  test("wrong content types are 415", async () => {
    for (const type of [
      "text/plain",
      "text/json",
      "application/jsonx",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
    ]) {
      const res = await post("/explain_local", JSON.stringify({ ticker: "SYN001" }), type);
      expect(res.status).toBe(415);
      expect(await errorCode(res)).toBe("unsupported_media_type");
    }
  });

  test("invalid UTF-8 is a 400 invalid_json (not a ticker with U+FFFD in it)", async () => {
    const bad = Buffer.concat([
      Buffer.from('{"ticker":"SYN0'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('01"}'),
    ]);
    const res = await post("/explain_local", bad);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("invalid_json");
    // An overlong encoding of "/" and a lone surrogate half are refused too.
    for (const bytes of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
    ]) {
      const r = await post(
        "/score_expected",
        Buffer.from([...Buffer.from('{"tickers":["'), ...bytes, ...Buffer.from('"]}')]),
      );
      expect(r.status).toBe(400);
    }
  });

  test("duplicate keys: the last wins, as in Python's json (FastAPI)", async () => {
    const res = await post("/explain_local", '{"ticker":"SYN001","ticker":"NOPE"}');
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe("unknown_ticker");
    const ok = await post("/explain_local", '{"ticker":"NOPE","ticker":"SYN001","top_k":1,"top_k":2}');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { top_features: unknown[] }).top_features).toHaveLength(2);
  });

  test("1e400, -1e400, 1e-400 and NaN/Infinity literals are 400", async () => {
    const bodies: [string, string, string][] = [
      ["/explain_local", '{"ticker":"SYN001","top_k":1e400}', "validation_failed"],
      ["/score", '{"prices":{"SYN001":[1e400,2,3]}}', "validation_failed"],
      ["/score", '{"prices":{"SYN001":[-1e400,2,3]}}', "validation_failed"],
      // 1e-400 parses as 0: not a positive price.
      ["/score", '{"prices":{"SYN001":[1e-400,2,3]}}', "validation_failed"],
      ["/explain_local", '{"ticker":"SYN001","top_k":NaN}', "invalid_json"],
      ["/score", '{"prices":{"SYN001":[Infinity]}}', "invalid_json"],
      ["/score_expected", '{"tickers":[-0]}', "validation_failed"],
    ];
    for (const [path, body, code] of bodies) {
      const res = await post(path, body);
      expect({ path, body, status: res.status, code: await errorCode(res) }).toEqual({
        path,
        body,
        status: 400,
        code,
      });
    }
  });

  test("afterwards the process is alive, healthy, and counted no 5xx", async () => {
    expect(s.child.exitCode).toBeNull();
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect((await fetch(`${s.url}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/maie_api_requests_total\{[^}]*code="413"/);
    expect(metrics).not.toMatch(/maie_api_requests_total\{[^}]*code="5\d\d"/);
  });
});
