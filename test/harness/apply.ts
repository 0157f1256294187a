import { stringify } from "yaml";
import { API_VERSION, KIND } from "../../src/api/group.js";
import type { KubeObject } from "../../src/kube/object.js";
import { kubectl } from "./cluster.js";

/**
 * Writing objects as a user would: `kubectl apply --server-side` with a
 * kubeconfig, one YAML stream per call. Throws with kubectl's stderr when it
 * refuses.
 */

export interface ApplyOptions {
  /** Namespace for objects that name none. */
  readonly namespace?: string;
  /** Field manager (kubectl's default: "kubectl"). */
  readonly fieldManager?: string;
  /** Take over fields another manager owns (--force-conflicts). */
  readonly force?: boolean;
}

export async function kubectlApply(
  kubeconfig: string,
  objects: readonly KubeObject[],
  options: ApplyOptions = {},
): Promise<void> {
  const args = [
    "apply",
    "--server-side",
    ...(options.force === true ? ["--force-conflicts"] : []),
    ...(options.fieldManager === undefined ? [] : [`--field-manager=${options.fieldManager}`]),
    ...(options.namespace === undefined ? [] : ["-n", options.namespace]),
    "-f",
    "-",
  ];
  const out = await kubectl(kubeconfig, args, objects.map((o) => `---\n${stringify(o)}`).join(""));
  if (out.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${out.stderr}`);
}

/** A MaieDeployment as the tests write one. */
export interface TestResource {
  readonly name: string;
  readonly spec: unknown;
  readonly annotations?: Readonly<Record<string, string>>;
}

export function maieDeployment(r: TestResource): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: r.name, ...(r.annotations === undefined ? {} : { annotations: { ...r.annotations } }) },
    spec: r.spec,
  };
}

/** Server-side applies MaieDeployments into `namespace`. */
export function applyMaieDeployments(
  kubeconfig: string,
  namespace: string,
  resources: readonly TestResource[],
  options: Omit<ApplyOptions, "namespace"> = {},
): Promise<void> {
  return kubectlApply(kubeconfig, resources.map(maieDeployment), { ...options, namespace });
}
