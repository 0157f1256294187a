import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request as httpsRequest } from "node:https";
import { parse } from "yaml";
import { DEV_IMAGE } from "../../tools/cluster/node-images.js";
import { createInterface } from "node:readline";
import { binary } from "../../tools/cluster/paths.js";
import { kubectl, type KubectlResult } from "./cluster.js";
import { runProcess } from "./process.js";

/** The kubeconfig of the e2e project's cluster (set by its global setup). */
export const E2E_KUBECONFIG_ENV = "MAIE_E2E_KUBECONFIG";
/** Nodes in the e2e cluster: two, so placement across nodes is part of every run. */
export const E2E_NODES = 2;

export function e2eKubeconfig(): string {
  const path = process.env[E2E_KUBECONFIG_ENV];
  if (path === undefined)
    throw new Error(
      `${E2E_KUBECONFIG_ENV} is not set: run e2e tests through 'npm test' or 'npm run test:e2e'`,
    );
  return path;
}

/** kubectl against the e2e cluster; throws with its stderr on a non-zero exit. */
export async function k(args: readonly string[], input?: string): Promise<string> {
  const r: KubectlResult = await kubectl(e2eKubeconfig(), args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** helm (built by tools/build-binaries.sh) against the e2e cluster; throws with its stderr on a non-zero exit. */
export async function helm(args: readonly string[]): Promise<string> {
  const r = await runProcess(binary("helm"), [...args, "--kubeconfig", e2eKubeconfig()]);
  if (r.code !== 0) throw new Error(`helm ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Runs a shell script (the docs' own commands) with KUBECONFIG set, from the repository root. */
export async function shell(script: string): Promise<{ code: number; output: string }> {
  const r = await runProcess("bash", ["-euo", "pipefail", "-c", script], {
    env: { ...process.env, KUBECONFIG: e2eKubeconfig() },
  });
  return { code: r.code, output: r.stdout + r.stderr };
}

export interface PortForward {
  readonly url: string;
  stop(): void;
}

/** `kubectl port-forward` to a target on a free local port; resolves once it forwards. */
export async function portForward(
  namespace: string,
  target: string,
  remotePort: number,
): Promise<PortForward> {
  const child: ChildProcess = spawn(
    "kubectl",
    [
      "--kubeconfig",
      e2eKubeconfig(),
      "-n",
      namespace,
      "port-forward",
      "--address",
      "127.0.0.1",
      target,
      `:${remotePort}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`port-forward ${target} did not start: ${stderr}`)),
      30_000,
    );
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(line);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward ${target} exited ${code}: ${stderr}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

/** The fenced ```sh block that follows a heading in a markdown file (the docs' exact commands). */
export function shellBlockAfter(markdown: string, heading: string): string {
  const at = markdown.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`heading ${JSON.stringify(heading)} not found`);
  const m = /```sh\n([\s\S]*?)```/.exec(markdown.slice(at));
  if (m === null) throw new Error(`no sh block after ${JSON.stringify(heading)}`);
  return m[1]!;
}

interface KubeconfigFiles {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

function kubeconfigFiles(): KubeconfigFiles {
  const kc = parse(readFileSync(e2eKubeconfig(), "utf8")) as {
    clusters: { cluster: { server: string; "certificate-authority": string } }[];
    users: { user: { "client-certificate": string; "client-key": string } }[];
  };
  return {
    server: kc.clusters[0]!.cluster.server,
    ca: readFileSync(kc.clusters[0]!.cluster["certificate-authority"]),
    cert: readFileSync(kc.users[0]!.user["client-certificate"]),
    key: readFileSync(kc.users[0]!.user["client-key"]),
  };
}

/**
 * A GET through kube-apiserver's service proxy: the apiserver picks a ready
 * endpoint of the Service for every request, as a Service VIP would, so a
 * steady stream of these sees what clients of the Service see during a roll.
 */
export function serviceProxyClient(namespace: string, service: string): (path: string) => Promise<number> {
  const files = kubeconfigFiles();
  const agent = new Agent({ keepAlive: true, ca: files.ca, cert: files.cert, key: files.key });
  const base = `${files.server}/api/v1/namespaces/${namespace}/services/${service}/proxy`;
  return (path) =>
    new Promise((resolve) => {
      const req = httpsRequest(`${base}${path}`, { agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(0));
      req.end();
    });
}

/**
 * Installs the operator from the Helm chart with this repository's image
 * (once per cluster: later callers find the release and reuse it).
 */
export async function ensureOperator(): Promise<void> {
  const releases = await helm(["list", "-n", "maie-system", "-q"]);
  if (releases.split("\n").includes("maie-operator")) return;
  await helm([
    "install",
    "maie-operator",
    "config/helm/maie-operator",
    "--namespace",
    "maie-system",
    "--create-namespace",
    "--set",
    `image.repository=${DEV_IMAGE.repository}`,
    "--set",
    `image.tag=${DEV_IMAGE.tag}`,
    "--wait",
    "--timeout",
    "5m",
  ]);
}
