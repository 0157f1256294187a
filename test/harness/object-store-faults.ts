import type { IncomingMessage } from "node:http";
import { startHttpProxy, type Decision } from "./http-proxy.js";

/**
 * A proxy in front of the real S3 server (tools/cluster/object-store.ts)
 * that throws the faults an object store or the network to it throws:
 * connections reset (a store that is down), 500/503 answers with S3's XML
 * error body, answers held back (slow), bodies cut mid-way in either
 * direction (a reader or an uploader cut off), and a response body with one
 * bit flipped (tampering on the way). The fault is set by the test, on all
 * requests or those a matcher picks, for all of them or the first few.
 */

export type ObjectStoreFault =
  | { readonly kind: "none" }
  | { readonly kind: "down" }
  | { readonly kind: "error"; readonly status: 500 | 503 }
  | { readonly kind: "slow"; readonly delayMs: number }
  | { readonly kind: "cut-response"; readonly afterBytes: number }
  | { readonly kind: "cut-request"; readonly afterBytes: number }
  | { readonly kind: "corrupt" };

export interface FaultScope {
  /** Which requests get the fault (all by default). */
  readonly match?: (req: IncomingMessage) => boolean;
  /** Only the first `times` matching requests (all by default): the rest pass, as after a transient fault. */
  readonly times?: number;
}

export interface ObjectStoreFaultProxy {
  readonly url: string;
  /** Requests that got the fault so far (since the last `set`). */
  readonly injected: number;
  set(fault: ObjectStoreFault, scope?: FaultScope): void;
  close(): Promise<void>;
}

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? "/", "http://x").searchParams;
}

/** One part of a multipart upload. */
export const isUploadPart = (req: IncomingMessage): boolean =>
  req.method === "PUT" && query(req).has("partNumber") && query(req).has("uploadId");

/** A GET of an object (not a listing: listings name no key). */
export const isObjectGet = (req: IncomingMessage): boolean =>
  req.method === "GET" &&
  (req.url ?? "/")
    .replace(/\?.*$/, "")
    .split("/")
    .filter((s) => s !== "").length >= 2;

function s3Error(status: 500 | 503): Decision {
  const code = status === 500 ? "InternalError" : "ServiceUnavailable";
  return {
    kind: "respond",
    status,
    headers: { "content-type": "application/xml" },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the fault proxy</Message><RequestId>fault-proxy</RequestId></Error>`,
  };
}

export async function startObjectStoreFaultProxy(upstream: string): Promise<ObjectStoreFaultProxy> {
  let fault: ObjectStoreFault = { kind: "none" };
  let scope: FaultScope = {};
  let injected = 0;

  const decide = (req: IncomingMessage): Decision => {
    if (fault.kind === "none") return { kind: "forward" };
    if (scope.match !== undefined && !scope.match(req)) return { kind: "forward" };
    if (scope.times !== undefined && injected >= scope.times) return { kind: "forward" };
    injected += 1;
    switch (fault.kind) {
      case "down":
        return { kind: "reset" };
      case "error":
        return s3Error(fault.status);
      case "slow":
        return { kind: "forward", delayMs: fault.delayMs };
      case "cut-response":
        return { kind: "forward", cutResponseAfter: fault.afterBytes };
      case "cut-request":
        return { kind: "forward", cutRequestAfter: fault.afterBytes };
      case "corrupt":
        return { kind: "forward", corruptResponse: true };
    }
  };

  const proxy = await startHttpProxy({ upstream, decide, preserveHost: true });
  return {
    url: proxy.url,
    get injected() {
      return injected;
    },
    set(next, nextScope = {}) {
      fault = next;
      scope = nextScope;
      injected = 0;
    },
    close: () => proxy.close(),
  };
}
