/**
 * The local S3 server (object-store.ts) for shell scripts such as the
 * object-store recovery drill (tools/sample/recovery-drill.sh --object-store):
 *
 *   node dist/tools/cluster/object-store-cli.js serve --bucket B --write-env F
 *     starts SeaweedFS with bucket B, writes `export NAME=value` lines (the
 *     MAIE_OBJECT_STORE_* and AWS_* variables a MAIE process reads) to F once
 *     it is ready, and runs until SIGTERM/SIGINT (then stops it and removes
 *     its data). The server dies with this process.
 *   node dist/tools/cluster/object-store-cli.js ls [KEY_PREFIX]
 *   node dist/tools/cluster/object-store-cli.js put KEY FILE
 *     with those variables set: list the objects under the configured prefix
 *     (+ KEY_PREFIX) as `size  last-modified  s3://…`, or upload a file.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ObjectStore, requireObjectStoreEnv } from "../../src/objectstore/index.js";
import { ObjectStoreServer } from "./object-store.js";

const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

async function serve(bucket: string, envFile: string): Promise<void> {
  const server = await ObjectStoreServer.start({ buckets: [bucket] });
  const lines = Object.entries(server.env(bucket)).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  // Renamed into place: a script polling for the file never reads half of it.
  await writeFile(`${envFile}.tmp`, lines.join("\n") + "\n", { mode: 0o600 });
  await rename(`${envFile}.tmp`, envFile);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await server.stop({ removeDir: true });
}

function storeFromEnv(what: string): ObjectStore {
  return new ObjectStore(requireObjectStoreEnv(process.env, what));
}

async function ls(prefix: string): Promise<void> {
  const store = storeFromEnv("object-store-cli ls");
  try {
    for (const o of (await store.list(prefix)).sort((a, b) => a.key.localeCompare(b.key)))
      process.stdout.write(
        `${String(o.size).padStart(10)}  ${o.lastModified.toISOString()}  s3://${o.ref.bucket}/${o.key}\n`,
      );
  } finally {
    store.close();
  }
}

async function put(key: string, file: string): Promise<void> {
  const store = storeFromEnv("object-store-cli put");
  try {
    const done = await store.upload(key, await readFile(file));
    process.stdout.write(`${store.uri(key)} ${done.size} bytes\n`);
  } finally {
    store.close();
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { bucket: { type: "string" }, "write-env": { type: "string" } },
  });
  const [action, ...rest] = positionals;
  if (action === "serve" && values.bucket !== undefined && values["write-env"] !== undefined)
    return serve(values.bucket, values["write-env"]);
  if (action === "ls" && rest.length <= 1) return ls(rest[0] ?? "");
  if (action === "put" && rest.length === 2 && rest[0] !== undefined && rest[1] !== undefined)
    return put(rest[0], rest[1]);
  throw new Error("usage: object-store-cli serve --bucket B --write-env F | ls [KEY_PREFIX] | put KEY FILE");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`object-store-cli: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
