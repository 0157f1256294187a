import { readFile } from "node:fs/promises";
import { Agent, createServer, request, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ControlPlaneCerts } from "../../tools/cluster/certs.js";

/**
 * An HTTPS proxy between a client and a real kube-apiserver that throws the
 * faults an apiserver (or the load balancer in front of it) throws: 500 and
 * 503 answers, 429 with Retry-After (what the apiserver's own max-inflight
 * and priority-and-fairness limits send), and connections reset in the
 * middle of a watch. Everything else is forwarded unchanged.
 *
 * TLS is terminated with the control plane's serving certificate (signed by
 * its CA, valid for 127.0.0.1), so a kubeconfig that trusts the CA trusts
 * the proxy; the proxy reaches the apiserver as the admin user. Faults are
 * drawn from a seeded generator so a run can be repeated.
 */

export interface FaultRates {
  /** Fraction of requests answered 500 (no Retry-After: the client must fail and retry later). */
  readonly error500: number;
  /** Fraction answered 503 with Retry-After, as an apiserver that is shutting down. */
  readonly error503: number;
  /** Fraction answered 429 with Retry-After, as a throttling apiserver. */
  readonly throttle429: number;
  /** Fraction of forwarded watches whose connection is reset after 0.5-4 s. */
  readonly watchReset: number;
}

export interface FaultCounts {
  forwarded: number;
  error500: number;
  error503: number;
  throttle429: number;
  watchReset: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly counts: Readonly<FaultCounts>;
  /** Faults on or off (off: a transparent proxy). */
  setEnabled(on: boolean): void;
  close(): Promise<void>;
}

/** mulberry32: a small seeded PRNG, enough to make fault sequences repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message });
}

export async function startFaultProxy(options: {
  readonly upstream: string;
  readonly certs: ControlPlaneCerts;
  readonly rates: FaultRates;
  readonly seed?: number;
}): Promise<FaultProxy> {
  const { certs, rates } = options;
  const upstream = new URL(options.upstream);
  const random = seededRandom(options.seed ?? 1);
  const [ca, cert, key, servingCert, servingKey] = await Promise.all(
    [certs.caCert, certs.adminCert, certs.adminKey, certs.servingCert, certs.servingKey].map((f) =>
      readFile(f),
    ),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca, cert, key });
  const counts: FaultCounts = { forwarded: 0, error500: 0, error503: 0, throttle429: 0, watchReset: 0 };
  let enabled = true;
  const resets = new Set<NodeJS.Timeout>();

  const refuse = (res: ServerResponse, code: number, reason: string, retryAfter: boolean) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (retryAfter) headers["retry-after"] = "1";
    res.writeHead(code, headers);
    res.end(statusBody(code, reason, `injected by the fault proxy: ${reason}`));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (enabled) {
      const r = random();
      let edge = rates.error500;
      if (r < edge) return ((counts.error500 += 1), refuse(res, 500, "InternalError", false));
      edge += rates.error503;
      if (r < edge) return ((counts.error503 += 1), refuse(res, 503, "ServiceUnavailable", true));
      edge += rates.throttle429;
      if (r < edge) return ((counts.throttle429 += 1), refuse(res, 429, "TooManyRequests", true));
    }
    counts.forwarded += 1;
    let complete = false;
    const headers = { ...req.headers };
    delete headers.host;
    const up = request(
      {
        protocol: "https:",
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (upRes) => {
        upRes.once("end", () => (complete = true));
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.flushHeaders();
        upRes.pipe(res);
        const isWatch = new URL(req.url ?? "/", "https://x").searchParams.get("watch") === "true";
        if (isWatch && enabled && random() < rates.watchReset) {
          // A reset, not a clean end: the client sees the connection die with no final chunk.
          const timer = setTimeout(
            () => {
              resets.delete(timer);
              counts.watchReset += 1;
              req.socket.destroy();
              up.destroy();
            },
            500 + random() * 3500,
          );
          resets.add(timer);
          res.once("close", () => {
            clearTimeout(timer);
            resets.delete(timer);
          });
        }
      },
    );
    up.on("error", () => {
      if (!res.headersSent) refuse(res, 502, "BadGateway", false);
      else res.destroy();
    });
    // The client went away before the answer was complete (a cut watch): stop the upstream request too.
    res.on("close", () => {
      if (!complete) up.destroy();
    });
    req.pipe(up);
  };

  const server: Server = createServer({ cert: servingCert, key: servingKey }, handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    counts,
    setEnabled(on) {
      enabled = on;
    },
    async close() {
      for (const t of resets) clearTimeout(t);
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections();
      await closed;
      agent.destroy();
    },
  };
}
