import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

/** /metrics, /healthz (the process is alive) and /readyz (caches synced; leader or standby). */
export interface ProbeState {
  healthy(): boolean;
  ready(): { ready: boolean; reason: string };
}

export function startOperatorHttpServer(
  registry: Registry,
  state: ProbeState,
  port: number,
  host: string,
): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    const send = (code: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(code, { "Content-Type": type });
      res.end(body);
    };
    if (req.method !== "GET") return send(405, "method not allowed\n");
    if (url === "/metrics") {
      registry.metrics().then(
        (text) => send(200, text, registry.contentType),
        () => send(503, "metrics unavailable\n"),
      );
      return;
    }
    if (url === "/healthz") return state.healthy() ? send(200, "ok\n") : send(503, "unhealthy\n");
    if (url === "/readyz") {
      const r = state.ready();
      return send(r.ready ? 200 : 503, `${r.reason}\n`);
    }
    send(404, "not found\n");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
