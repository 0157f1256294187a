import type { V1PersistentVolumeClaim } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { childMeta, type DesiredContext, names } from "./meta.js";
import { toKubeObject } from "./plain.js";
import { specQuantity } from "./pod.js";

/**
 * The data and backups PersistentVolumeClaims.
 *
 * While `storage.retainOnDelete` is true (the default) the claims carry no
 * owner reference, so deleting the MaieDeployment leaves the data in place;
 * with `false` they get the controller owner reference and are garbage
 * collected with the resource. The size is the only field Kubernetes lets
 * change after creation (an increase is a volume expansion); it is written
 * in the apiserver's canonical form (`1024Gi` as `1Ti`) so a resync sees no
 * difference.
 */

const BACKUPS_ACCESS_MODES = ["ReadWriteOnce"];

function claim(
  cr: MaieDeployment,
  name: string,
  size: string,
  sizeField: string,
  accessModes: string[],
  storageClassName: string | undefined,
): KubeObject {
  const { ownerReferences, ...meta } = childMeta(cr, name, "storage");
  const pvc: V1PersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: cr.spec.storage.retainOnDelete ? meta : { ...meta, ownerReferences },
    spec: {
      accessModes,
      resources: { requests: { storage: specQuantity(size, sizeField) } },
      // An empty class means "the cluster default", which Kubernetes spells as an absent field
      // (an explicit "" would mean "no class").
      storageClassName:
        storageClassName !== undefined && storageClassName !== "" ? storageClassName : undefined,
    },
  };
  return toKubeObject(pvc);
}

/** `<cr>-data`: models/, expected/, reports/, prices/. Always desired. */
export function buildDataPvc(cr: MaieDeployment, _ctx: DesiredContext): KubeObject {
  const { data } = cr.spec.storage;
  return claim(
    cr,
    names.dataPvc(cr),
    data.size,
    "spec.storage.data.size",
    [...data.accessModes],
    data.storageClassName,
  );
}

/** `<cr>-backups`: only while backups are enabled. */
export function buildBackupsPvc(cr: MaieDeployment, _ctx: DesiredContext): KubeObject | null {
  if (!cr.spec.backup.enabled) return null;
  const { backups } = cr.spec.storage;
  return claim(
    cr,
    names.backupsPvc(cr),
    backups.size,
    "spec.storage.backups.size",
    BACKUPS_ACCESS_MODES,
    backups.storageClassName,
  );
}
