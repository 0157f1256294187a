import { spawnSync } from "node:child_process";
import { binary } from "../../../tools/cluster/paths.js";

/**
 * The JSON printed by tools/gobin/dockerfile-inspect: the Dockerfile as
 * BuildKit's own parser (github.com/moby/buildkit/frontend/dockerfile) reads
 * it, so the invariant checks see exactly what `docker build` would.
 */
/** An ENV/LABEL/ARG entry: raw as written, value after BuildKit's word processing with default build args. */
export interface KeyValue {
  readonly key: string;
  readonly value: string | null;
  readonly raw: string | null;
}

export interface Instruction {
  readonly instruction: string;
  readonly line: number;
  readonly original: string;
  readonly flags: readonly string[];
  readonly cmdLine?: readonly string[];
  readonly shellForm?: boolean;
  readonly sources?: readonly string[];
  readonly dest?: string;
  readonly from?: string;
  readonly chown?: string;
  readonly chmod?: string;
  readonly keyValues?: readonly KeyValue[];
  readonly user?: string;
  readonly path?: string;
  readonly volumes?: readonly string[];
}

export interface Stage {
  readonly index: number;
  readonly name: string;
  readonly baseName: string;
  readonly platform: string;
  readonly line: number;
  readonly commands: readonly Instruction[];
}

export interface ParsedDockerfile {
  readonly parserWarnings: readonly { short: string; line: number }[];
  readonly lint: readonly { rule: string; message: string; line: number }[];
  readonly metaArgs: readonly KeyValue[];
  readonly stages: readonly Stage[];
}

export class DockerfileParseError extends Error {
  override readonly name = "DockerfileParseError";
}

/** Parses Dockerfile text with the real BuildKit parser; a parse error throws with its message. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const r = spawnSync(binary("dockerfile-inspect"), ["-"], {
    input: text,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new DockerfileParseError(`dockerfile-inspect exit ${r.status}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as ParsedDockerfile;
}
