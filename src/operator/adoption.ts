import { FIELD_MANAGER } from "../api/group.js";
import type { MaieDeployment } from "../api/resource.js";
import { INSTANCE_LABEL, MANAGED_BY } from "../desired/meta.js";
import type { KubeObject } from "../kube/object.js";

/**
 * The operator never takes over an object it did not create (issue "Safe by
 * default"): server-side apply with force would otherwise overwrite an
 * existing Service, Ingress, ConfigMap or PVC of a child's name and make it a
 * child, so deleting the MaieDeployment would garbage-collect it.
 *
 * A live object is ours when it carries this resource's controller owner
 * reference. PersistentVolumeClaims carry none while `storage.retainOnDelete`
 * is true, so a claim is also ours when it has our labels for this resource
 * name or was written by our field manager: a claim retained by a deleted
 * MaieDeployment of the same name is reused, as before. Any other claim is
 * adopted only with the explicit opt-in annotation (a restore onto volumes
 * prepared by hand).
 */

/** Opt-in on the MaieDeployment: `"true"` lets it adopt existing PVCs of its claims' names. */
export const ADOPT_PVCS_ANNOTATION = "maie.io/adopt-pvcs";

/** Why a live object must not be applied over, or undefined when it is ours to apply. */
export function childConflict(
  cr: MaieDeployment,
  desired: KubeObject,
  live: KubeObject | undefined,
): string | undefined {
  if (live === undefined) return undefined;
  const what = `${desired.kind}/${desired.metadata.name}`;
  const controller = live.metadata.ownerReferences?.find((o) => o.controller === true);
  if (controller !== undefined) {
    if (controller.uid === cr.metadata.uid) return undefined;
    return `${what} exists and is controlled by ${controller.kind}/${controller.name}; not taken over`;
  }
  if (desired.kind === "PersistentVolumeClaim") {
    if (ourClaim(cr, live)) return undefined;
    if (cr.metadata.annotations?.[ADOPT_PVCS_ANNOTATION] === "true") return undefined;
    return `${what} exists and was not created by this MaieDeployment; not taken over (rename or remove it, or set the annotation ${ADOPT_PVCS_ANNOTATION}: "true" to adopt it)`;
  }
  return `${what} exists and is not owned by this MaieDeployment; not taken over (rename or remove it)`;
}

function ourClaim(cr: MaieDeployment, live: KubeObject): boolean {
  const labels = live.metadata.labels ?? {};
  const labelled =
    labels["app.kubernetes.io/managed-by"] === MANAGED_BY &&
    labels["app.kubernetes.io/name"] === "maie" &&
    labels[INSTANCE_LABEL] === cr.metadata.name;
  const applied = (live.metadata.managedFields ?? []).some(
    (m) => m.manager === FIELD_MANAGER && m.operation === "Apply",
  );
  return labelled || applied;
}
