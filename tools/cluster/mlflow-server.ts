import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { MLFLOW_ENV } from "../../src/contract/env.js";
import { freePort } from "./ports.js";
import { spawnTied, type TiedProcess } from "./tied-process.js";
import { delay } from "./wait.js";

/**
 * A real MLflow tracking server and Model Registry for tests and the demo:
 * `mlflow server` from PyPI (tools/mlflow/install.sh), a SQLite backend
 * store and a local artifact store served through its artifact proxy
 * (`mlflow-artifacts:`) or an S3 bucket, on a free port and a temp dir, tied to our process.
 * With `auth`, MLflow's basic-auth app with a random admin password. Models
 * are logged and aliased with MLflow's own client (tools/mlflow/registry.py).
 */

export interface MlflowServerOptions {
  /** Backend store, artifacts and log; a fresh temp dir by default. */
  readonly dir?: string;
  /** Address to listen on. @default 127.0.0.1 */
  readonly host?: string;
  /** Require a username and password (MLflow's basic-auth app). */
  readonly auth?: boolean;
  /**
   * Keep artifacts in an S3 bucket instead of behind the server's proxy: the server hands out
   * `s3://` URIs and every client reads and writes the bucket itself. `env` is what both need
   * (MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
   */
  readonly s3Artifacts?: { readonly root: string; readonly env: Readonly<Record<string, string>> };
  readonly log?: (message: string) => void;
}

export type Flavor = "lightgbm" | "xgboost" | "pyfunc";

export interface RegisteredVersion {
  readonly version: string;
  readonly runId: string;
}

const INSTALL_SCRIPT = fileURLToPath(new URL("../../../tools/mlflow/install.sh", import.meta.url));
const REGISTRY_SCRIPT = fileURLToPath(new URL("../../../tools/mlflow/registry.py", import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const ADMIN = "admin";

/** Path of the MLflow virtualenv's python, installing it first if needed (cached after the first run). */
export async function mlflowPython(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)("bash", [INSTALL_SCRIPT], { encoding: "utf8" });
    return stdout.trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`could not install MLflow with tools/mlflow/install.sh: ${stderr.trim().slice(-2000)}`, {
      cause: err,
    });
  }
}

export class MlflowServer {
  private process: TiedProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly host: string,
    readonly port: number,
    private readonly python: string,
    private readonly adminPassword: string | undefined,
    private readonly ownsDir: boolean,
    private readonly log: (message: string) => void,
    private readonly s3Artifacts: MlflowServerOptions["s3Artifacts"],
  ) {}

  static async start(options: MlflowServerOptions = {}): Promise<MlflowServer> {
    const python = await mlflowPython();
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "maie-mlflow-")));
    await mkdir(join(dir, "artifacts"), { recursive: true });
    const password = options.auth === true ? randomBytes(12).toString("hex") : undefined;
    const server = new MlflowServer(
      dir,
      options.host ?? "127.0.0.1",
      await freePort(),
      python,
      password,
      ownsDir,
      options.log ?? (() => undefined),
      options.s3Artifacts,
    );
    if (password !== undefined)
      await writeFile(
        join(dir, "basic_auth.ini"),
        [
          "[mlflow]",
          "default_permission = READ",
          `database_uri = sqlite:///${join(dir, "basic_auth.db")}`,
          `admin_username = ${ADMIN}`,
          `admin_password = ${password}`,
          "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
    try {
      await server.launch();
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** What a client of this server sets: the tracking URI and, with auth, the admin's credentials. */
  env(): Record<string, string> {
    return {
      [MLFLOW_ENV.trackingUri]: this.url,
      ...(this.adminPassword !== undefined && {
        [MLFLOW_ENV.username]: ADMIN,
        [MLFLOW_ENV.password]: this.adminPassword,
      }),
    };
  }

  /** Starts `mlflow server` on this server's folder and port (again, after `stop`) and waits for /health. */
  async launch(): Promise<void> {
    const started = Date.now();
    this.log(`starting MLflow at ${this.url}`);
    this.process = spawnTied(
      "mlflow",
      this.python,
      [
        "-m",
        "mlflow",
        "server",
        "--host",
        this.host,
        "--port",
        String(this.port),
        "--workers",
        "1",
        "--backend-store-uri",
        `sqlite:///${join(this.dir, "mlflow.db")}`,
        ...(this.s3Artifacts !== undefined
          ? ["--default-artifact-root", this.s3Artifacts.root, "--no-serve-artifacts"]
          : ["--artifacts-destination", join(this.dir, "artifacts")]),
        ...(this.adminPassword !== undefined ? ["--app-name", "basic-auth"] : []),
      ],
      join(this.dir, "mlflow.log"),
      {
        ...process.env,
        ...this.s3Artifacts?.env,
        ...(this.adminPassword !== undefined && {
          MLFLOW_AUTH_CONFIG_PATH: join(this.dir, "basic_auth.ini"),
          // The auth app's CSRF protection needs a fixed key; one per server is enough here.
          MLFLOW_FLASK_SERVER_SECRET_KEY: this.adminPassword,
        }),
        // The server answers on loopback only; no request to the internet (telemetry, version checks).
        MLFLOW_DISABLE_TELEMETRY: "true",
        DO_NOT_TRACK: "true",
      },
    );
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) break;
      } catch {
        // Not listening yet.
      }
      if (!this.process.isRunning())
        throw new Error(`mlflow server exited during start; see ${join(this.dir, "mlflow.log")}`);
      if (Date.now() > deadline)
        throw new Error(
          `mlflow server not up within ${READY_TIMEOUT_MS} ms; see ${join(this.dir, "mlflow.log")}`,
        );
      await delay(250);
    }
    this.log(`MLflow ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  /** Stops the server (its data stays for `launch`); removes the folder when `removeDir` and it made it. */
  async stop(options: { removeDir?: boolean } = {}): Promise<void> {
    await this.process?.stop(2_000);
    this.process = undefined;
    if (options.removeDir === true && this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Logs a model file with `flavor`, registers it under `name` as a new version, and points `alias` at it. */
  async register(
    name: string,
    flavor: Flavor,
    modelFile?: string,
    alias?: string,
  ): Promise<RegisteredVersion> {
    const out = await this.registry([
      "register",
      "--name",
      name,
      "--flavor",
      flavor,
      ...(modelFile !== undefined ? ["--model-file", modelFile] : []),
      ...(alias !== undefined ? ["--alias", alias] : []),
    ]);
    const parsed = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { version?: string; run_id?: string };
    if (parsed.version === undefined || parsed.run_id === undefined)
      throw new Error(`registry.py register printed no version: ${out}`);
    return { version: parsed.version, runId: parsed.run_id };
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.registry(["alias", "--name", name, "--alias", alias, "--version", version]);
  }

  async deleteVersion(name: string, version: string): Promise<void> {
    await this.registry(["delete-version", "--name", name, "--version", version]);
  }

  private async registry(args: readonly string[]): Promise<string> {
    try {
      const { stdout } = await promisify(execFile)(this.python, [REGISTRY_SCRIPT, ...args], {
        encoding: "utf8",
        env: {
          ...process.env,
          ...this.s3Artifacts?.env,
          ...this.env(),
          MLFLOW_DISABLE_TELEMETRY: "true",
          DO_NOT_TRACK: "true",
        },
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? "";
      throw new Error(`registry.py ${args[0] ?? ""} failed: ${stderr.trim().slice(-2000)}`, { cause: err });
    }
  }
}
