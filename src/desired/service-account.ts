import type { V1ServiceAccount } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { childMeta, type DesiredContext, names } from "./meta.js";
import { nonEmpty, toKubeObject } from "./plain.js";

/**
 * The identity of every MAIE pod. MAIE never talks to the Kubernetes API, so
 * no token is mounted.
 */
export function buildServiceAccount(cr: MaieDeployment, _ctx: DesiredContext): KubeObject {
  const sa: V1ServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      ...childMeta(cr, names.serviceAccount(cr), "scorer"),
      // Pod identity for the object store (IRSA's eks.amazonaws.com/role-arn, or any other).
      annotations: nonEmpty(cr.spec.serviceAccount.annotations),
    },
    automountServiceAccountToken: false,
  };
  return toKubeObject(sa);
}
