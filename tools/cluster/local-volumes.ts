import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { RestClient } from "../../src/kube/rest.js";
import { isConflict } from "../../src/kube/rest.js";

/** The default StorageClass of a harness cluster: pre-made `local` volumes, bound where the first pod lands. */
export const LOCAL_STORAGE_CLASS = "maie-local";

export interface LocalVolume {
  readonly name: string;
  readonly node: string;
  readonly path: string;
}

/** `count` volumes per node under each node's directory (pure). */
export function planLocalVolumes(
  nodes: readonly { name: string; dir: string }[],
  count: number,
): LocalVolume[] {
  return nodes.flatMap((n) =>
    Array.from({ length: count }, (_, i) => ({
      name: `${n.name}-pv-${i + 1}`,
      node: n.name,
      path: join(n.dir, "volumes", `pv-${i + 1}`),
    })),
  );
}

export function localStorageClass(): object {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: LOCAL_STORAGE_CLASS,
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: "kubernetes.io/no-provisioner",
    // The scheduler picks the node first, then a volume on it: pods sharing
    // a claim follow the volume's node affinity.
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Retain",
  };
}

/**
 * A `local` PersistentVolume (not hostPath: the kubelet applies a pod's
 * fsGroup to local volumes, so the non-root scorer can write). Capacity is
 * declarative only; every volume is a directory on the host's disk.
 */
export function localPersistentVolume(v: LocalVolume): object {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: v.name, labels: { "maie.io/test-node": v.node } },
    spec: {
      capacity: { storage: "100Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: LOCAL_STORAGE_CLASS,
      volumeMode: "Filesystem",
      local: { path: v.path },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [v.node] }] },
          ],
        },
      },
    },
  };
}

async function create(client: RestClient, path: string, body: object): Promise<void> {
  await client.request("POST", path, { body }).catch((err: unknown) => {
    if (!isConflict(err)) throw err;
  });
}

/** Creates the default StorageClass and the volumes (directories first: a local volume must exist). */
export async function installLocalVolumes(
  client: RestClient,
  volumes: readonly LocalVolume[],
): Promise<void> {
  await create(client, "/apis/storage.k8s.io/v1/storageclasses", localStorageClass());
  for (const v of volumes) {
    await mkdir(v.path, { recursive: true });
    await create(client, "/api/v1/persistentvolumes", localPersistentVolume(v));
  }
}
