import { Agent, request } from "node:http";

/**
 * A fixed-rate (open-loop) load: request i is sent at t0 + i / rate whether
 * or not earlier ones have been answered, each on a free keep-alive
 * connection (a new one when all are busy), so a slow server shows in the
 * latencies instead of lowering the rate. A send the client's timer makes
 * late goes out at once, keeping the schedule; latency runs from the send
 * to the end of the response.
 *
 * autocannon's `overallRate` is not this: each connection sends back to
 * back until it has made its share of the second's requests, then waits
 * for the next second, so "200 req/s over 10 connections" is a burst of 10
 * concurrent requests at the top of every second.
 */

export interface OpenLoopRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: string;
}

export interface OpenLoopResult {
  readonly sent: number;
  /** Latency of every answered request in ms, in completion order. */
  readonly latencies: number[];
  readonly non2xx: number;
  readonly errors: number;
  /** Requests sent per second of the run (the scheduled rate unless the client could not keep up). */
  readonly reqPerSec: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function openLoop(
  url: string,
  requests: readonly OpenLoopRequest[],
  rate: number,
  durationSeconds: number,
  timeoutMs = 10_000,
): Promise<OpenLoopResult> {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const total = Math.round(rate * durationSeconds);
  const pending: Promise<void>[] = [];
  const t0 = performance.now() + 20;

  const send = (r: OpenLoopRequest): Promise<void> =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request(
        {
          agent,
          hostname,
          port,
          method: r.method,
          path: r.path,
          timeout: timeoutMs,
          headers:
            r.body === undefined
              ? {}
              : { "content-type": "application/json", "content-length": Buffer.byteLength(r.body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            latencies.push(performance.now() - started);
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end(r.body);
    });

  for (let i = 0; i < total; i++) {
    const scheduled = t0 + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(send(requests[i % requests.length]!));
  }
  const sentBy = performance.now();
  await Promise.all(pending);
  agent.destroy();
  return { sent: total, latencies, non2xx, errors, reqPerSec: total / ((sentBy - t0) / 1000) };
}
