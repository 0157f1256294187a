import { readFile } from "node:fs/promises";
import { Agent } from "node:https";
import type { IncomingMessage } from "node:http";
import type { ControlPlaneCerts } from "../../tools/cluster/certs.js";
import { startHttpProxy, type Decision } from "./http-proxy.js";

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
 * drawn from a seeded generator so a run can be repeated. The forwarding
 * itself is test/harness/http-proxy.ts, shared with the object store's
 * fault proxy.
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
  const random = seededRandom(options.seed ?? 1);
  const [ca, cert, key, servingCert, servingKey] = await Promise.all([
    readFile(certs.caCert),
    readFile(certs.adminCert),
    readFile(certs.adminKey),
    readFile(certs.servingCert),
    readFile(certs.servingKey),
  ]);
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca, cert, key });
  const counts: FaultCounts = { forwarded: 0, error500: 0, error503: 0, throttle429: 0, watchReset: 0 };
  let enabled = true;

  const refuse = (code: number, reason: string, retryAfter: boolean): Decision => ({
    kind: "respond",
    status: code,
    headers: { "content-type": "application/json", ...(retryAfter ? { "retry-after": "1" } : {}) },
    body: statusBody(code, reason, `injected by the fault proxy: ${reason}`),
  });

  const decide = (req: IncomingMessage): Decision => {
    if (enabled) {
      const r = random();
      let edge = rates.error500;
      if (r < edge) return ((counts.error500 += 1), refuse(500, "InternalError", false));
      edge += rates.error503;
      if (r < edge) return ((counts.error503 += 1), refuse(503, "ServiceUnavailable", true));
      edge += rates.throttle429;
      if (r < edge) return ((counts.throttle429 += 1), refuse(429, "TooManyRequests", true));
    }
    counts.forwarded += 1;
    const isWatch = new URL(req.url ?? "/", "https://x").searchParams.get("watch") === "true";
    // A reset, not a clean end: the client sees the connection die with no final chunk.
    if (isWatch && enabled && random() < rates.watchReset)
      return {
        kind: "forward",
        resetAfterMs: 500 + random() * 3500,
        onFault: () => (counts.watchReset += 1),
      };
    return { kind: "forward" };
  };

  const proxy = await startHttpProxy({
    upstream: options.upstream,
    agent,
    tls: { cert: servingCert, key: servingKey },
    decide,
  });
  return {
    url: proxy.url,
    counts,
    setEnabled(on) {
      enabled = on;
    },
    async close() {
      await proxy.close();
      agent.destroy();
    },
  };
}
