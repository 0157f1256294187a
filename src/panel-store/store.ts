import type { ObjectStore } from "../objectstore/index.js";

/**
 * The part of the object store that publishing and following panels use:
 * `ObjectStore` has it, and unit tests pass an in-memory one. Keys are
 * relative to the store's prefix (src/contract/data-layout.ts STORE_KEYS).
 */
export type PanelObjectStore = Pick<ObjectStore, "uri" | "getIfChanged" | "upload">;
