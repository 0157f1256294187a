import type { V1ServiceAccount } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { childMeta, type DesiredContext, names } from "./meta.js";
import { toKubeObject } from "./plain.js";

/**
 * The identity of every MAIE pod. MAIE never talks to the Kubernetes API, so
 * no token is mounted.
 */
export function buildServiceAccount(cr: MaieDeployment, _ctx: DesiredContext): KubeObject {
  const sa: V1ServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: childMeta(cr, names.serviceAccount(cr), "scorer"),
    automountServiceAccountToken: false,
  };
  return toKubeObject(sa);
}
