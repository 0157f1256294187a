import {
  createServer as createHttpServer,
  request as httpRequest,
  type Agent as HttpAgent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import {
  createServer as createHttpsServer,
  request as httpsRequest,
  type Agent as HttpsAgent,
} from "node:https";
import type { AddressInfo } from "node:net";

/**
 * A forwarding HTTP(S) proxy that asks, per request, what to do with it:
 * forward it (possibly late, cut or corrupted on the way), answer it
 * itself, or reset the connection. The fault proxies in this folder (the
 * apiserver's, fault-proxy.ts; the object store's, object-store-faults.ts)
 * are decision functions on top of it; the forwarding is written once.
 */

export type Decision =
  | {
      readonly kind: "forward";
      /** Hold the request this long before forwarding it (a slow server or network). */
      readonly delayMs?: number;
      /** Let this many request-body bytes through, then kill both connections (a writer cut mid-upload). */
      readonly cutRequestAfter?: number;
      /** Send the status, headers and this many body bytes, then kill the connection (a reader cut mid-body). */
      readonly cutResponseAfter?: number;
      /** Flip one bit in the first byte of the response body (bytes tampered with on the way). */
      readonly corruptResponse?: boolean;
      /** Reset the connection this long after the answer started (a watch cut mid-stream). */
      readonly resetAfterMs?: number;
      /** Called when the cut, corruption or reset above actually happened. */
      readonly onFault?: () => void;
    }
  | {
      readonly kind: "respond";
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    }
  /** Close the client's connection without an answer (a server that is down or crashed). */
  | { readonly kind: "reset" };

export interface HttpProxyOptions {
  /** http://host:port or https://host:port. */
  readonly upstream: string;
  /** Agent for the upstream connections (TLS client settings for an https upstream). */
  readonly agent?: HttpAgent | HttpsAgent;
  /** Serve TLS with this certificate; plain HTTP when absent. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly decide: (req: IncomingMessage) => Decision;
  /**
   * Forward the client's Host header unchanged. S3 needs it: the Host is part
   * of what SigV4 signs, so the store must see the one the client signed.
   */
  readonly preserveHost?: boolean;
}

export interface HttpProxy {
  readonly url: string;
  close(): Promise<void>;
}

export async function startHttpProxy(options: HttpProxyOptions): Promise<HttpProxy> {
  const upstream = new URL(options.upstream);
  const secure = upstream.protocol === "https:";
  const send = secure ? httpsRequest : httpRequest;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): NodeJS.Timeout => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };
  const cancel = (t: NodeJS.Timeout) => {
    clearTimeout(t);
    timers.delete(t);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, d: Extract<Decision, { kind: "forward" }>) => {
    let complete = false;
    const kill = () => {
      up.destroy();
      req.socket.destroy();
    };
    const headers = { ...req.headers };
    if (options.preserveHost !== true) delete headers.host;
    const up = send(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        ...(options.agent === undefined ? {} : { agent: options.agent }),
      },
      (upRes) => {
        upRes.once("end", () => (complete = true));
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.flushHeaders();
        let sent = 0;
        let corrupted = false;
        upRes.on("data", (chunk: Buffer) => {
          let out = chunk;
          if (d.corruptResponse === true && !corrupted && chunk.length > 0) {
            out = Buffer.from(chunk);
            out[0] = (out[0] ?? 0) ^ 0x01;
            corrupted = true;
            d.onFault?.();
          }
          if (d.cutResponseAfter !== undefined && sent + out.length > d.cutResponseAfter) {
            res.write(out.subarray(0, d.cutResponseAfter - sent), () => kill());
            d.onFault?.();
            upRes.removeAllListeners("data");
            sent = d.cutResponseAfter;
            return;
          }
          sent += out.length;
          if (!res.write(out)) {
            upRes.pause();
            res.once("drain", () => upRes.resume());
          }
        });
        upRes.once("end", () => res.end());
        if (d.resetAfterMs !== undefined) {
          const t = later(d.resetAfterMs, () => {
            d.onFault?.();
            kill();
          });
          res.once("close", () => cancel(t));
        }
      },
    );
    up.on("error", () => {
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("bad gateway: the upstream connection failed");
      } else res.destroy();
    });
    // The client went away before the answer was complete: stop the upstream request too.
    res.on("close", () => {
      if (!complete) up.destroy();
    });
    if (d.cutRequestAfter === undefined) {
      req.pipe(up);
      return;
    }
    const limit = d.cutRequestAfter;
    let passed = 0;
    req.on("data", (chunk: Buffer) => {
      if (passed + chunk.length > limit) {
        up.write(chunk.subarray(0, limit - passed));
        passed = limit;
        d.onFault?.();
        req.removeAllListeners("data");
        kill();
        return;
      }
      passed += chunk.length;
      if (!up.write(chunk)) {
        req.pause();
        up.once("drain", () => req.resume());
      }
    });
    req.on("end", () => up.end());
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const d = options.decide(req);
    switch (d.kind) {
      case "reset":
        req.socket.destroy();
        return;
      case "respond":
        // Drain what the client sends (an upload) so it reads the answer instead of a broken pipe.
        req.resume();
        res.writeHead(d.status, { ...d.headers, "content-length": String(Buffer.byteLength(d.body)) });
        res.end(d.body);
        return;
      case "forward": {
        if (d.delayMs === undefined || d.delayMs <= 0) {
          forward(req, res, d);
          return;
        }
        // The client may give up while we wait: then there is nothing to forward.
        req.pause();
        const t = later(d.delayMs, () => forward(req, res, d));
        res.once("close", () => cancel(t));
      }
    }
  };

  const server: Server =
    options.tls === undefined
      ? createHttpServer(handle)
      : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections();
      await closed;
    },
  };
}
