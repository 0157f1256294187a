import { createServer as createHttpServer } from "node:http";
import { connect, createServer, type Socket } from "node:net";
import { rmSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * The bridge between the control plane on the host's loopback and the nodes
 * in their own network namespace, without giving the host an address on the
 * node network. Unix sockets live in the filesystem, not in a network
 * namespace, so one process on each side can meet at a socket path:
 *
 *   host:  --unix-to-tcp SOCK=127.0.0.1:PORT   kubelets and pods reach kube-apiserver
 *   netns: --tcp-to-unix 0.0.0.0:6443=SOCK     (the listening half, inside the node network)
 *   netns: --connect-proxy SOCK                kube-apiserver's egress selector dials
 *                                              kubelets (logs, exec, port-forward) through
 *                                              this HTTP CONNECT proxy
 *
 * Run as a separate process (`node netns-proxy.js ...`), started with
 * `nsenter --net=...` for the netns side.
 */

export interface ProxyPlan {
  readonly unixToTcp: readonly { socket: string; host: string; port: number }[];
  readonly tcpToUnix: readonly { host: string; port: number; socket: string }[];
  readonly connectProxy: readonly string[];
}

function hostPort(text: string, what: string): { host: string; port: number } {
  const i = text.lastIndexOf(":");
  const port = Number(text.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`${what}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: text.slice(0, i), port };
}

function pair(text: string, what: string): [string, string] {
  const i = text.indexOf("=");
  if (i <= 0) throw new Error(`${what}: expected A=B, got ${JSON.stringify(text)}`);
  return [text.slice(0, i), text.slice(i + 1)];
}

/** Parses the command line into what to listen on (pure). */
export function parseProxyArgs(argv: readonly string[]): ProxyPlan {
  const plan = { unixToTcp: [], tcpToUnix: [], connectProxy: [] } as {
    unixToTcp: ProxyPlan["unixToTcp"][number][];
    tcpToUnix: ProxyPlan["tcpToUnix"][number][];
    connectProxy: string[];
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--unix-to-tcp") {
      const [socket, target] = pair(value, flag);
      plan.unixToTcp.push({ socket, ...hostPort(target, flag) });
    } else if (flag === "--tcp-to-unix") {
      const [listen, socket] = pair(value, flag);
      plan.tcpToUnix.push({ ...hostPort(listen, flag), socket });
    } else if (flag === "--connect-proxy") {
      plan.connectProxy.push(value);
    } else {
      throw new Error(`unknown option ${flag} (use --unix-to-tcp, --tcp-to-unix or --connect-proxy)`);
    }
  }
  return plan;
}

function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on("error", close);
  b.on("error", close);
  a.on("close", close);
  b.on("close", close);
}

function listenUnix(server: ReturnType<typeof createServer>, socket: string): Promise<void> {
  rmSync(socket, { force: true });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socket, () => resolve());
  });
}

async function run(plan: ProxyPlan): Promise<void> {
  const listening: Promise<void>[] = [];
  for (const r of plan.unixToTcp) {
    const server = createServer((client) => splice(client, connect(r.port, r.host)));
    listening.push(listenUnix(server, r.socket));
  }
  for (const r of plan.tcpToUnix) {
    const server = createServer((client) => splice(client, connect(r.socket)));
    listening.push(
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(r.port, r.host, () => resolve());
      }),
    );
  }
  for (const socket of plan.connectProxy) {
    const server = createHttpServer((_req, res) => {
      res.writeHead(405, { "content-type": "text/plain" }).end("CONNECT only\n");
    });
    server.on("connect", (req, client: Socket, head: Buffer) => {
      let target: { host: string; port: number };
      try {
        target = hostPort(req.url ?? "", "CONNECT");
      } catch {
        client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
        return;
      }
      const upstream = connect(target.port, target.host, () => {
        client.write("HTTP/1.1 200 Connection established\r\n\r\n");
        if (head.length > 0) upstream.write(head);
        splice(client, upstream);
      });
      upstream.once("error", (err) => {
        if (!client.destroyed) client.end(`HTTP/1.1 502 Bad Gateway\r\n\r\n${err.message}\n`);
      });
    });
    listening.push(
      new Promise((resolve, reject) => {
        rmSync(socket, { force: true });
        server.once("error", reject);
        server.listen(socket, () => resolve());
      }),
    );
  }
  await Promise.all(listening);
  process.stdout.write("listening\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  run(parseProxyArgs(process.argv.slice(2))).catch((err: unknown) => {
    process.stderr.write(`netns-proxy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
  process.on("SIGTERM", () => process.exit(0));
}
