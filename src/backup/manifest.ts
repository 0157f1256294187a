import { z } from "zod";
import { BACKUP_ROOTS } from "../contract/data-layout.js";

/** `manifest.json`, the first entry of every backup archive. */
export interface BackupManifest {
  readonly version: 1;
  readonly createdAt: string;
  /** `as_of` of `expected/expected_latest.parquet` at backup time, when there was one. */
  readonly panelAsOf: string | null;
  readonly roots: readonly string[];
  readonly files: readonly ManifestFile[];
  readonly totalBytes: number;
}

export interface ManifestFile {
  /** POSIX path relative to the data dir, e.g. `expected/expected_latest.parquet`. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly mtime: string;
  readonly mode: number;
}

export const MANIFEST_NAME = "manifest.json";

/**
 * What restore and verify accept from one archive, checked against the
 * manifest before anything is extracted and enforced while the archive is
 * read (a gzip bomb stops at the cap, not after). docs/backup-and-recovery.md
 * lists them.
 */
export interface ArchiveLimits {
  /** Files the manifest may list. */
  readonly maxFiles: number;
  /** Bytes of all files together (the manifest's `totalBytes`). */
  readonly maxBytes: number;
  /** Bytes of `manifest.json` itself. */
  readonly maxManifestBytes: number;
}

/** 100,000 files, 64 GiB of file data, a 32 MiB manifest. */
export const ARCHIVE_LIMITS: ArchiveLimits = {
  maxFiles: 100_000,
  maxBytes: 64 * 1024 ** 3,
  maxManifestBytes: 32 * 1024 ** 2,
};

/** Mode bits a restored file may have at most (rw-r--r--; the manifest's mode is masked with it). */
export const FILE_MODE_MASK = 0o644;
/** Mode of every restored directory. */
export const DIR_MODE = 0o755;

/**
 * Why `rel` may not name a file in an archive, or null: it must be a POSIX
 * path under one of the backup roots whose segments are not empty, `.`, `..`,
 * and hold no backslash or NUL (so not absolute either).
 */
export function unsafePathReason(rel: string): string | null {
  if (rel.startsWith("/")) return "absolute path";
  if (rel.includes("\\")) return "backslash in path";
  if (rel.includes("\0")) return "NUL in path";
  const parts = rel.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return "empty, '.' or '..' path segment";
  if (!BACKUP_ROOTS.some((root) => root === parts[0]))
    return `outside the backup roots (${BACKUP_ROOTS.join(", ")})`;
  return null;
}

/** Every ancestor folder of the manifest's files (`models`, `expected/history`, …). */
export function manifestDirs(files: readonly { readonly path: string }[]): Set<string> {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return dirs;
}

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not a date-time");

/** The manifest schema under `limits`: shapes, safe unique paths, sizes that add up, no mode above 0777. */
export function manifestSchema(limits: ArchiveLimits = ARCHIVE_LIMITS) {
  const file = z
    .object({
      path: z.string().superRefine((p, ctx) => {
        const why = unsafePathReason(p);
        if (why !== null) ctx.addIssue({ code: "custom", message: `${JSON.stringify(p)}: ${why}` });
      }),
      size: z.number().int().min(0).max(limits.maxBytes),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, "not a SHA-256 hex digest"),
      mtime: isoTime,
      mode: z.number().int().min(0).max(0o777, "setuid, setgid or sticky bit (or not a mode)"),
    })
    .strict();
  return z
    .object({
      version: z.literal(1),
      createdAt: isoTime,
      panelAsOf: z.string().nullable(),
      roots: z.array(z.enum(BACKUP_ROOTS as unknown as [string, ...string[]])).max(BACKUP_ROOTS.length),
      files: z.array(file).max(limits.maxFiles, `more than ${limits.maxFiles} files`),
      totalBytes: z.number().int().min(0).max(limits.maxBytes, `more than ${limits.maxBytes} bytes`),
    })
    .strict()
    .superRefine((m, ctx) => {
      const sum = m.files.reduce((s, f) => s + f.size, 0);
      if (sum !== m.totalBytes)
        ctx.addIssue({ code: "custom", message: `totalBytes ${m.totalBytes}, the files add up to ${sum}` });
      const seen = new Set<string>();
      for (const f of m.files) {
        if (seen.has(f.path)) ctx.addIssue({ code: "custom", message: `${f.path}: listed twice` });
        seen.add(f.path);
      }
      const dirs = manifestDirs(m.files);
      for (const f of m.files)
        if (dirs.has(f.path))
          ctx.addIssue({ code: "custom", message: `${f.path}: both a file and a folder` });
    });
}

/** Parses and validates `manifest.json` text; returns the problems instead when it is not a valid manifest. */
export function parseManifest(
  text: string,
  limits: ArchiveLimits = ARCHIVE_LIMITS,
): { manifest: BackupManifest } | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problems: ["manifest.json is not JSON"] };
  }
  const res = manifestSchema(limits).safeParse(json);
  if (res.success) return { manifest: res.data };
  return {
    problems: res.error.issues
      .slice(0, 20)
      .map((i) => `manifest.json${i.path.length > 0 ? ` at ${i.path.join(".")}` : ""}: ${i.message}`),
  };
}

const NAME = /^maie-backup-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.tar\.gz$/;

/** `maie-backup-20261128T230000Z.tar.gz` for 2026-11-28T23:00:00Z. */
export function archiveName(at: Date): string {
  const s = at.toISOString();
  return `maie-backup-${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}T${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z.tar.gz`;
}

/** The creation time encoded in an archive name, or null for any other file. */
export function archiveTime(name: string): Date | null {
  const m = NAME.exec(name);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s] = m;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

/** Thrown when an archive does not match its manifest; `problems` lists each difference. */
export class BackupVerifyError extends Error {
  override readonly name = "BackupVerifyError";
  constructor(
    readonly archive: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${archive}: ${problems.length} problem(s): ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? "; …" : ""}`,
    );
  }
}
