import { readFileSync } from "node:fs";

/**
 * The Kubernetes version the test binaries are built from (the kube module's
 * go.mod), e.g. "v1.34.4": what the test cluster reports, and what
 * `helm template` must be told, since it assumes v1.20 without a cluster.
 */
export function builtKubernetesVersion(): string {
  const mod = readFileSync("tools/controlplane/kube/go.mod", "utf8");
  const m = /^\s*k8s\.io\/kubernetes (v\d+\.\d+\.\d+)/m.exec(mod);
  if (m === null) throw new Error("k8s.io/kubernetes not found in tools/controlplane/kube/go.mod");
  return m[1]!;
}
