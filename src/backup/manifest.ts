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
