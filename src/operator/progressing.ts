import type { ConditionInput } from "./conditions.js";
import type { DeploymentFacts, PendingClaim } from "./observe.js";

/**
 * The Progressing condition. A claim that stays Pending is the usual reason
 * a new resource never becomes ready on a cluster without a dynamic
 * provisioner, and nothing else in the status would say so: the scorer pods
 * are just unschedulable. So unbound claims are named, with the class they
 * wait on, in whatever Progressing says.
 */
export function progressingCondition(
  changed: number,
  deployment: DeploymentFacts,
  claims: readonly PendingClaim[],
): ConditionInput {
  const waiting = claims.length > 0 ? pendingClaimsMessage(claims) : undefined;
  const withClaims = (message: string) => (waiting === undefined ? message : `${message}; ${waiting}`);
  if (changed > 0)
    return {
      type: "Progressing",
      status: "True",
      reason: "ChildrenUpdated",
      message: withClaims(`${changed} child object(s) created, updated or deleted`),
    };
  if (deployment.exists && !deployment.rolledOut)
    return {
      type: "Progressing",
      status: "True",
      reason: "RollingOut",
      message: withClaims(`${deployment.readyReplicas}/${deployment.desiredReplicas} scorer pods ready`),
    };
  // The scorer can be rolled out while the backups claim is still unbound: not complete yet.
  if (waiting !== undefined)
    return { type: "Progressing", status: "True", reason: "PersistentVolumeClaimsPending", message: waiting };
  return {
    type: "Progressing",
    status: "False",
    reason: "Complete",
    message: "children match the spec and the rollout is complete",
  };
}

/** `waiting for PersistentVolumeClaim(s) to bind: a (storage class "x"), b (no storage class ...)`. */
export function pendingClaimsMessage(claims: readonly PendingClaim[]): string {
  const each = claims.map((c) => `${c.name} (${storageClassHint(c.storageClassName)})`);
  return `waiting for PersistentVolumeClaim(s) to bind: ${each.join(", ")}`;
}

function storageClassHint(storageClassName: string | undefined): string {
  // Absent after admission: the DefaultStorageClass plugin found no default to fill in.
  if (storageClassName === undefined) return "no storage class and no default StorageClass";
  if (storageClassName === "") return 'storage class "": binds only to a matching PersistentVolume';
  return `storage class "${storageClassName}"`;
}
