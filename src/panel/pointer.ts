import { z } from "zod";

/**
 * The pointer object of panels published through the object store
 * (`STORE_KEYS.pointer`): which expected panel and features objects are
 * current, with their SHA-256 and size, so a reader fetches exactly what the
 * pipeline uploaded and refuses anything else. The pipeline writes it last;
 * it is small JSON, so one PUT replaces it whole. Pure.
 */

export const POINTER_VERSION = 1;

/** A pointer is a few hundred bytes; anything near this is not one. */
export const MAX_POINTER_BYTES = 64 * 1024;

const SHA256 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits");
const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be YYYY-MM-DD");
/** Relative to the store's prefix, like every key MAIE writes: no leading '/', no '.' or '..' segments. */
const KEY = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (k) => !k.startsWith("/") && !k.split("/").some((s) => s === "." || s === ".."),
    "must be a key relative to the store's prefix (no leading '/', no '.' or '..')",
  );

const PointedObject = z.object({ key: KEY, sha256: SHA256, size: z.number().int().min(0) });

const PanelPointerSchema = z.object({
  version: z.literal(POINTER_VERSION),
  as_of: DATE,
  /** When the pipeline published it (RFC 3339): the scorer's "last pipeline success". */
  published_at: z.iso.datetime({ offset: true }),
  expected: PointedObject,
  features: PointedObject,
  history: KEY,
  report: KEY,
});

export type PointedObject = z.output<typeof PointedObject>;
export type PanelPointer = z.output<typeof PanelPointerSchema>;

export class PointerFormatError extends Error {
  override readonly name = "PointerFormatError";
}

export function encodePanelPointer(pointer: PanelPointer): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(PanelPointerSchema.parse(pointer), null, 2)}\n`);
}

/** Parses and checks a pointer; `where` names it in the error. Unknown extra fields are ignored. */
export function decodePanelPointer(bytes: Uint8Array, where: string): PanelPointer {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new PointerFormatError(
      `${where} is not a panel pointer: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const parsed = PanelPointerSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new PointerFormatError(`${where} is not a version ${POINTER_VERSION} panel pointer: ${issues}`);
  }
  return parsed.data;
}
