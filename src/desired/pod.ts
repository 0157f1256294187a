import type {
  V1Affinity,
  V1Container,
  V1EnvVar,
  V1LocalObjectReference,
  V1PodSecurityContext,
  V1PodSpec,
  V1ResourceRequirements,
  V1SecurityContext,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import { BACKUPS_MOUNT, DATA_MOUNT } from "../contract/data-layout.js";
import { DATA_VOLUME_LABEL, type DesiredContext, names } from "./meta.js";
import { IMAGE_REFERENCE_FORM, joinImage, parseImageRef } from "../util/image-ref.js";
import { InvalidSpecError } from "./errors.js";
import { nonEmpty, nonEmptyList, passThroughList } from "./plain.js";
import { resourceQuantity } from "./quantity.js";

/**
 * Pod pieces shared by the scorer Deployment and the two CronJobs: the image,
 * the Pod Security "restricted" security contexts, the volumes and the
 * scheduling fields every MAIE pod gets.
 */

/** Numeric user and group every MAIE container runs as (the image's non-root user). */
export const RUN_AS_USER = 10001;
export const RUN_AS_GROUP = 10001;

/** Volume names inside the pods. */
export const VOLUMES = {
  data: "data",
  backups: "backups",
  tmp: "tmp",
  appTmp: "app-tmp",
  auth: "auth",
} as const;

/** Upper bound of the scratch space at /tmp (an emptyDir; the root filesystem is read-only). */
export const TMP_SIZE_LIMIT = "1Gi";
export const TMP_MOUNT = "/tmp";

/**
 * The image of the MAIE containers. The spec's image overrides the
 * operator's own image field by field; `tag` is a tag (`1.2.3`), a digest
 * (`sha256:<64 hex>`, rendered `repository@sha256:…`) or both
 * (`1.2.3@sha256:…`). A `repository` that already names a tag or digest
 * (`r@sha256:…`, `r:1@sha256:…`) is used as it is, so `tag` must then be
 * unset. The result is checked against the reference grammar, so a bad
 * field fails here, named, and not as an ImagePullBackOff.
 */
export function scorerImage(cr: MaieDeployment, ctx: DesiredContext): string {
  const { repository: specRepository, tag: specTag } = cr.spec.image;
  if (specRepository !== undefined) {
    const ref = parseImageRef(specRepository);
    if (ref === undefined) {
      throw new InvalidSpecError(
        "spec.image.repository",
        `${JSON.stringify(specRepository)} is not an image reference (${IMAGE_REFERENCE_FORM})`,
      );
    }
    if (ref.tag !== undefined || ref.digest !== undefined) {
      if (specTag !== undefined) {
        throw new InvalidSpecError(
          "spec.image.tag",
          "must be unset when spec.image.repository already names a tag or digest",
        );
      }
      return specRepository;
    }
  }
  const image = joinImage(specRepository ?? ctx.defaultImage.repository, specTag ?? ctx.defaultImage.tag);
  if (parseImageRef(image) === undefined) {
    throw new InvalidSpecError(
      specTag !== undefined ? "spec.image.tag" : "spec.image",
      `${JSON.stringify(image)} is not an image reference (${IMAGE_REFERENCE_FORM}); a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, a digest sha256:<64 hex>, or tag@sha256:<64 hex>`,
    );
  }
  return image;
}

/** Pod-level settings of the Pod Security "restricted" profile. */
export function podSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_GROUP,
    fsGroup: RUN_AS_GROUP,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container-level settings of the Pod Security "restricted" profile, plus a read-only root filesystem. */
export function containerSecurityContext(): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_GROUP,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function dataVolume(cr: MaieDeployment): V1Volume {
  return { name: VOLUMES.data, persistentVolumeClaim: { claimName: names.dataPvc(cr) } };
}

export function backupsVolume(cr: MaieDeployment): V1Volume {
  return { name: VOLUMES.backups, persistentVolumeClaim: { claimName: names.backupsPvc(cr) } };
}

export function tmpVolume(name: string = VOLUMES.tmp): V1Volume {
  return { name, emptyDir: { sizeLimit: TMP_SIZE_LIMIT } };
}

export const dataMount: V1VolumeMount = { name: VOLUMES.data, mountPath: DATA_MOUNT };
/** The scorer only reads the data volume; the writers are the pipeline, backup, restore and loader pods. */
export const dataMountReadOnly: V1VolumeMount = { ...dataMount, readOnly: true };
export const backupsMount: V1VolumeMount = { name: VOLUMES.backups, mountPath: BACKUPS_MOUNT };
export function tmpMount(name: string = VOLUMES.tmp): V1VolumeMount {
  return { name, mountPath: TMP_MOUNT };
}

/** A literal environment variable. */
export function envVar(name: string, value: string | number | boolean): V1EnvVar {
  return { name, value: String(value) };
}

/**
 * Our variables followed by the user's, a user entry replacing ours of the
 * same name in place. Names stay unique: `env` is a list map keyed by name,
 * and server-side apply rejects duplicates.
 */
export function mergeEnv(ours: readonly V1EnvVar[], theirs: readonly V1EnvVar[]): V1EnvVar[] {
  const byName = new Map<string, V1EnvVar>();
  for (const e of ours) byName.set(e.name, e);
  for (const e of theirs) byName.set(e.name, e);
  return [...byName.values()];
}

/**
 * True when the data volume can be attached to one node only (no
 * ReadWriteMany or ReadOnlyMany): every pod that mounts it must then run on
 * that node, or it waits for the volume forever (Multi-Attach).
 */
export function dataVolumeSingleNode(cr: MaieDeployment): boolean {
  return !cr.spec.storage.data.accessModes.some((m) => m === "ReadWriteMany" || m === "ReadOnlyMany");
}

/**
 * The label that marks a pod as a sharer of the data volume: present only
 * while the volume is single-node, because only then must the sharers meet
 * on one node. Every pod that mounts the volume adds it to its own labels,
 * and `dataVolumeAffinity` selects on exactly this, so the two cannot drift.
 */
export function dataVolumeLabels(cr: MaieDeployment): Record<string, string> {
  return dataVolumeSingleNode(cr) ? { [DATA_VOLUME_LABEL]: names.dataPvc(cr) } : {};
}

/**
 * While the data volume is single-node: a *required* affinity to the node of
 * any pod carrying `dataVolumeLabels`. A preference is not enough, since
 * node pressure or spreading still wins over it and the pod then waits
 * forever on Multi-Attach; a requirement turns that into a visible Pending.
 * The first sharer is not stuck by it: the scheduler lets a pod that matches
 * its own required term go to any node when no other pod matches, and every
 * later sharer must join that node. The term lists no namespaces, so it
 * looks in the pod's own, where the claim is. With ReadWriteMany or
 * ReadOnlyMany there is no term, leaving replicas free to spread.
 */
export function dataVolumeAffinity(cr: MaieDeployment): V1Affinity | undefined {
  if (!dataVolumeSingleNode(cr)) return undefined;
  return {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: dataVolumeLabels(cr) }, topologyKey: "kubernetes.io/hostname" },
      ],
    },
  };
}

/**
 * Fields every MAIE pod shares: service account without a mounted token,
 * restricted security context, pull secrets and node placement. The spec's
 * `affinity` and `topologySpreadConstraints` are about placing scorer
 * replicas, so only the Deployment passes them through; each builder adds
 * `dataVolumeAffinity` itself, since the Deployment lets the spec replace it.
 */
export function commonPodSpec(cr: MaieDeployment, containers: V1Container[], volumes: V1Volume[]): V1PodSpec {
  const { spec } = cr;
  return {
    serviceAccountName: names.serviceAccount(cr),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(),
    // Unique by name: the field is a list map keyed by name under server-side apply.
    imagePullSecrets: nonEmptyList<V1LocalObjectReference>([
      ...new Map(spec.imagePullSecrets.map((s) => [s.name, { name: s.name }])).values(),
    ]),
    nodeSelector: nonEmpty(spec.nodeSelector),
    tolerations: passThroughList<V1Toleration>(spec.tolerations),
    containers,
    volumes,
  };
}

type Quantities = Readonly<Record<string, string | number>>;

/**
 * A quantity from the spec as the apiserver stores it; a value Kubernetes
 * would not parse fails here, naming the field.
 */
export function specQuantity(value: string | number, field: string): string {
  try {
    return resourceQuantity(value);
  } catch {
    throw new InvalidSpecError(
      field,
      `${JSON.stringify(value)} is not a Kubernetes quantity (e.g. 500m, 1.5, 10Gi)`,
    );
  }
}

/**
 * Compute resources as the apiserver stores them (canonical quantity
 * strings, see `resourceQuantity`), so desired and live objects compare
 * equal. `field` names the spec field in errors.
 */
export function resourceRequirements(
  r: { readonly requests?: Quantities; readonly limits?: Quantities } | undefined,
  field: string,
): V1ResourceRequirements | undefined {
  if (r === undefined) return undefined;
  const canonical = (q: Quantities | undefined, section: string) =>
    q === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(q).map(([k, v]) => [k, specQuantity(v, `${field}.${section}.${k}`)]),
        );
  return {
    requests: nonEmpty(canonical(r.requests, "requests")),
    limits: nonEmpty(canonical(r.limits, "limits")),
  };
}
