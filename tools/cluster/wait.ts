import { readFileSync } from "node:fs";
import { request } from "node:https";

export interface TlsClient {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function get(url: string, tls: TlsClient): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key), timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Probes until it answers true, the process dies, or the deadline passes. */
async function pollHealthy(
  probe: () => Promise<boolean>,
  url: string,
  timeoutMs: number,
  alive: () => boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${what} exited before it became healthy; see its log`);
    if (await probe()) return;
    await delay(200);
  }
  const where = url === "(condition)" ? "" : ` at ${url}`;
  throw new Error(`${what} did not become ready${where} within ${timeoutMs} ms; see its log`);
}

/** Polls an HTTPS health endpoint (client-cert authenticated) until it answers 200. */
export function waitHealthy(
  url: string,
  tls: TlsClient,
  timeoutMs: number,
  alive: () => boolean,
  what: string,
): Promise<void> {
  return pollHealthy(async () => (await get(url, tls)) === 200, url, timeoutMs, alive, what);
}

/** Polls a plain-HTTP endpoint (etcd's /health) until it answers 200. */
export function waitHttpHealthy(
  url: string,
  timeoutMs: number,
  alive: () => boolean,
  what: string,
): Promise<void> {
  const probe = async () => {
    try {
      return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  };
  return pollHealthy(probe, url, timeoutMs, alive, what);
}

/** Polls a condition until it holds, a watched process dies, or the deadline passes. */
export function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  alive: () => boolean,
  what: string,
): Promise<void> {
  return pollHealthy(async () => check(), "(condition)", timeoutMs, alive, what);
}
