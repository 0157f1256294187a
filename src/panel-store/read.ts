import { STORE_KEYS } from "../contract/object-layout.js";
import { ObjectStoreError } from "../objectstore/index.js";
import {
  decodePanelPointer,
  MAX_POINTER_BYTES,
  type PanelPointer,
  type PointedObject,
} from "../panel/pointer.js";
import type { PanelObjectStore } from "./store.js";

/**
 * Reading what the pipeline published: the pointer (conditionally, with the
 * ETag held, so a poll that finds nothing new costs one small request) and
 * the objects it names, each refused unless its size and SHA-256 are the
 * pointer's.
 */

export type PointerRead =
  | { readonly kind: "pointer"; readonly pointer: PanelPointer; readonly etag: string }
  | { readonly kind: "not-modified" }
  /** Nothing published yet. */
  | { readonly kind: "missing" };

export async function readPointer(store: PanelObjectStore, heldEtag?: string): Promise<PointerRead> {
  let got;
  try {
    got = await store.getIfChanged(STORE_KEYS.pointer, {
      ...(heldEtag !== undefined && { etag: heldEtag }),
      maxBytes: MAX_POINTER_BYTES,
      maxBytesName: "MAX_POINTER_BYTES",
    });
  } catch (err) {
    if (err instanceof ObjectStoreError && err.kind === "not-found") return { kind: "missing" };
    throw err;
  }
  if (got.kind === "not-modified") return { kind: "not-modified" };
  return {
    kind: "pointer",
    pointer: decodePanelPointer(got.bytes, store.uri(STORE_KEYS.pointer)),
    etag: got.etag,
  };
}

/**
 * The bytes of an object the pointer names. A missing object, one of
 * another size or digest (replaced, tampered with) is an error that names
 * the pointer, so the fix (publish again) is plain.
 */
export async function readPointed(
  store: PanelObjectStore,
  entry: PointedObject,
  what: string,
): Promise<Uint8Array> {
  try {
    const got = await store.getIfChanged(entry.key, {
      maxBytes: entry.size,
      maxBytesName: `the size ${STORE_KEYS.pointer} states`,
      expectedSha256: entry.sha256,
      expectedBy: STORE_KEYS.pointer,
    });
    if (got.kind !== "object")
      throw new Error(`${store.uri(entry.key)} answered 304 to an unconditional read`);
    return new Uint8Array(got.bytes.buffer, got.bytes.byteOffset, got.bytes.byteLength);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`the ${what} named by ${store.uri(STORE_KEYS.pointer)} cannot be used: ${why}`, {
      cause: err,
    });
  }
}
