import type { ConditionInput } from "./conditions.js";
import type { DeploymentFacts, PendingClaim } from "./observe.js";

/**
 * The Progressing condition. A claim that stays Pending is the usual reason
 * a new resource never becomes ready on a cluster without a dynamic
 * provisioner, and nothing else in the status would say so: the scorer pods
 * are just unschedulable. So unbound claims are named, with the class they
 * wait on, in whatever Progressing says.
 *
 * Only a claim that cannot bind by itself keeps Progressing True once the
 * rollout is complete. A claim with a class may be waiting for its first
 * consumer (volumeBindingMode WaitForFirstConsumer, as with most local and
 * CSI provisioners): the backups claim then binds at the first backup run,
 * and until then nothing is in progress.
 */
export function progressingCondition(
  changed: number,
  deployment: DeploymentFacts,
  claims: readonly PendingClaim[],
): ConditionInput {
  const unbound = claims.length > 0 ? pendingClaimsMessage(claims) : undefined;
  const withClaims = (message: string) => (unbound === undefined ? message : `${message}; ${unbound}`);
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
  // No class (and no default) or "": no provisioner will ever act; someone has to.
  const stuck = claims.filter((c) => c.storageClassName === undefined || c.storageClassName === "");
  if (stuck.length > 0)
    return {
      type: "Progressing",
      status: "True",
      reason: "PersistentVolumeClaimsPending",
      message: pendingClaimsMessage(stuck),
    };
  return {
    type: "Progressing",
    status: "False",
    reason: "Complete",
    message: withClaims("children match the spec and the rollout is complete"),
  };
}

/** `PersistentVolumeClaim(s) not bound yet: a (storage class "x"), b (no storage class ...)`. */
export function pendingClaimsMessage(claims: readonly PendingClaim[]): string {
  const each = claims.map((c) => `${c.name} (${storageClassHint(c.storageClassName)})`);
  return `PersistentVolumeClaim(s) not bound yet: ${each.join(", ")}`;
}

function storageClassHint(storageClassName: string | undefined): string {
  // Absent after admission: the DefaultStorageClass plugin found no default to fill in.
  if (storageClassName === undefined) return "no storage class and no default StorageClass";
  if (storageClassName === "") return 'storage class "": binds only to a matching PersistentVolume';
  return `storage class "${storageClassName}"`;
}
