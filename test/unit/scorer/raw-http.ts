import { connect } from "node:net";

/**
 * Writes `request` to the server at `url` on a plain socket, bypassing any
 * HTTP client, and resolves with everything it answers (latin1) once the
 * connection closes. `end` half-closes after writing; without it the server
 * alone decides when to answer (a timeout, a parse error).
 */
export function rawExchange(url: string, request: string | Uint8Array, end = false): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(Number(new URL(url).port), "127.0.0.1", () => {
      sock.write(request);
      if (end) sock.end();
    });
    let text = "";
    sock.on("data", (d: Buffer) => (text += d.toString("latin1")));
    sock.on("close", () => resolve(text));
    sock.on("error", () => resolve(text));
  });
}
