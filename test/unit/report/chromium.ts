import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Opens a page in headless Debian Chromium over the DevTools protocol and
 * reports what a person would see: a full-page PNG screenshot, the result of
 * an expression evaluated in the page, and every network request the page
 * made. The browser runs with a fresh profile, its own background traffic
 * turned off, and DNS mapped to nowhere so nothing can leave the machine.
 */
export interface PageVisit<T> {
  readonly screenshot: Buffer;
  readonly evaluated: T;
  /** URLs of every request the page issued (the document's own included). */
  readonly requests: readonly string[];
  /** Requests that failed or were blocked, with the reason. */
  readonly failures: readonly string[];
}

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-default-apps",
  "--disable-extensions",
  "--disable-domain-reliability",
  "--disable-client-side-phishing-detection",
  "--no-pings",
  "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater,DialMediaRouteProvider",
  "--host-resolver-rules=MAP * ~NOTFOUND",
  "--proxy-server=127.0.0.1:9",
  "--hide-scrollbars",
];

interface CdpMessage {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export async function visitPage<T>(url: string, expression: string, width = 1200): Promise<PageVisit<T>> {
  const profile = mkdtempSync(join(tmpdir(), "maie-chromium-"));
  const child = spawn(
    "chromium",
    [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, "--remote-debugging-port=0", "about:blank"],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  // Set by the "error" event while the loop below waits; held in an object so the loop's reads are not narrowed to null.
  const started: { error: Error | null } = { error: null };
  child.on("error", (err) => (started.error = err));
  try {
    // Chromium writes the port and browser path once it listens.
    let active = "";
    for (;;) {
      if (started.error !== null)
        throw new Error(`cannot start chromium (apt-get install chromium): ${String(started.error)}`);
      if (child.exitCode !== null)
        throw new Error(`chromium exited with ${child.exitCode}: ${stderr.slice(-500)}`);
      try {
        active = readFileSync(join(profile, "DevToolsActivePort"), "utf8");
        if (active.split("\n").length >= 2 && active.split("\n")[1]!.length > 0) break;
      } catch {
        // not yet written
      }
      await sleep(50);
    }
    const [port, path] = active.split("\n");
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("cannot connect to chromium's DevTools socket"));
    });
    let nextId = 1;
    const pending = new Map<
      number,
      { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
    >();
    const listeners: ((m: CdpMessage) => void)[] = [];
    ws.onclose = () => {
      for (const p of pending.values())
        p.reject(new Error(`chromium closed the DevTools socket: ${stderr.slice(-300)}`));
      pending.clear();
    };
    ws.onmessage = (ev: MessageEvent) => {
      const msg = JSON.parse(String(ev.data)) as CdpMessage;
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error !== undefined) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result ?? {});
      } else listeners.forEach((l) => l(msg));
    };
    const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) }));
      });
    const { targetId } = (await send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
    const { sessionId } = (await send("Target.attachToTarget", { targetId, flatten: true })) as {
      sessionId: string;
    };
    const requests: string[] = [];
    const failures: string[] = [];
    let loaded: () => void = () => undefined;
    const loadFired = new Promise<void>((resolve, reject) => {
      loaded = resolve;
      void exited.then(() =>
        reject(new Error(`chromium exited before the page loaded: ${stderr.slice(-300)}`)),
      );
    });
    listeners.push((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === "Network.requestWillBeSent")
        requests.push((m.params?.["request"] as { url: string }).url);
      if (m.method === "Network.loadingFailed") {
        // Both are strings in the DevTools protocol; blockedReason only on a blocked request.
        const text = (key: string): string => {
          const v = m.params?.[key];
          return typeof v === "string" ? v : "";
        };
        failures.push(`${text("errorText")} ${text("blockedReason")}`.trim());
      }
      if (m.method === "Page.loadEventFired") loaded();
    });
    await send("Network.enable", {}, sessionId);
    await send("Page.enable", {}, sessionId);
    await send(
      "Emulation.setDeviceMetricsOverride",
      { width, height: 900, deviceScaleFactor: 1, mobile: false },
      sessionId,
    );
    await send("Page.navigate", { url }, sessionId);
    await loadFired;
    const evaluated = (await send("Runtime.evaluate", { expression, returnByValue: true }, sessionId)) as {
      result: { value: T };
    };
    const shot = (await send(
      "Page.captureScreenshot",
      { format: "png", captureBeyondViewport: true },
      sessionId,
    )) as {
      data: string;
    };
    // No Browser.close: its reply can be lost when the socket closes first. The finally kills the process.
    ws.close();
    return {
      screenshot: Buffer.from(shot.data, "base64"),
      evaluated: evaluated.result.value,
      requests,
      failures,
    };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(1, 4).toString() !== "PNG") throw new Error("not a PNG");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
