import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../../src/kube/object.js";
import { binary } from "../../tools/cluster/paths.js";
import { parseYamlObjects } from "../../tools/cluster/yaml-objects.js";
import { builtKubernetesVersion } from "./kube-version.js";
import { runProcess } from "./process.js";

/**
 * The install manifests as the real tools render them: `helm template` of
 * the chart and `kubectl kustomize` of a config/ directory, as objects.
 * Unit-safe (no cluster, no Kubernetes client).
 */

export const CHART = "config/helm/maie-operator";

/** The first object of `kind` (and `name`, when given); throws naming what is missing. */
export function findKind<T extends KubeObject = KubeObject>(
  objs: readonly KubeObject[],
  kind: string,
  name?: string,
): T {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (o === undefined) throw new Error(`no ${kind}${name === undefined ? "" : ` ${name}`} rendered`);
  return o as T;
}

/** An environment that keeps helm's cache, config and data under `home`, away from the user's. */
export function helmEnv(home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
  };
}

/**
 * `helm template <release> config/helm/maie-operator --namespace <namespace>`
 * for the Kubernetes version the test binaries are built at (helm assumes
 * v1.20 without a cluster), plus `args`. Throws with helm's output unless it
 * exits 0 with nothing on stderr.
 */
export async function helmTemplate(
  release: string,
  namespace: string,
  args: readonly string[] = [],
): Promise<KubeObject[]> {
  const argv = [
    "template",
    release,
    CHART,
    "--namespace",
    namespace,
    "--kube-version",
    builtKubernetesVersion(),
    ...args,
  ];
  const home = await mkdtemp(join(tmpdir(), "maie-helm-"));
  const out = await runProcess(binary("helm"), argv, { env: helmEnv(home) }).finally(() =>
    rm(home, { recursive: true, force: true }),
  );
  if (out.code !== 0 || out.stderr !== "")
    throw new Error(`helm ${argv.join(" ")} exited ${out.code}: ${out.stderr}`);
  return parseYamlObjects(out.stdout);
}

/** `kubectl kustomize <dir>`; throws with kubectl's output unless it exits 0 with nothing on stderr. */
export async function kustomizeBuild(dir: string): Promise<KubeObject[]> {
  const out = await runProcess("kubectl", ["kustomize", dir]);
  if (out.code !== 0 || out.stderr !== "")
    throw new Error(`kubectl kustomize ${dir} exited ${out.code}: ${out.stderr}`);
  return parseYamlObjects(out.stdout);
}
