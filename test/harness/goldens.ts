import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/**
 * The one golden-file system: a directory of files rendered by the builders.
 * Tests only compare; `tools/update-goldens.sh` rewrites every set after an
 * intended change (then review the diff).
 */
export const UPDATE_GOLDENS = "tools/update-goldens.sh";

/** Files under `root` whose names match `pattern`, relative to `root`. */
export function goldenFilesUnder(root: string, pattern: RegExp): string[] {
  return readdirSync(root).flatMap((f) => {
    const p = join(root, f);
    if (statSync(p).isDirectory()) return goldenFilesUnder(p, pattern).map((r) => join(f, r));
    return pattern.test(f) ? [relative(root, p)] : [];
  });
}

/** Rewrites a set: removes files the builders no longer render, writes the rest; returns the paths written. */
export function writeGoldenSet(
  root: string,
  files: Readonly<Record<string, string>>,
  pattern: RegExp,
): string[] {
  for (const stale of goldenFilesUnder(root, pattern).filter((f) => !(f in files))) rmSync(join(root, stale));
  return Object.entries(files).map(([file, content]) => {
    const path = join(root, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  });
}
