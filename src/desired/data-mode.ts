import type { V1EnvVar, V1TopologySpreadConstraint } from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import { ENV } from "../contract/env.js";
import { selectorLabels } from "./meta.js";
import { modelEgressPorts, storePort } from "./object-store.js";
import { envVar, TMP_MOUNT } from "./pod.js";

/**
 * Which pods need the data volume, given where the data lives (issue #17).
 *
 * - With `spec.objectStore` set, panels go through the store: the pipeline
 *   publishes them there and the scorers follow its pointer. That is
 *   automatic, not a second switch: a resource with a store and panels on a
 *   ReadWriteOnce volume would keep the Multi-Attach problem the store is
 *   there to remove, and one place for panels is easier to reason about.
 * - The scorer then still needs the volume for a model file (`model.path`);
 *   with `model.uri` as well it needs none: no claim, no data-volume label
 *   or affinity, and its replicas spread across nodes and zones.
 * - The pipeline needs the volume for a model file or for prices/ on it;
 *   with `model.uri` and `pipeline.prices.uri` it works in a scratch folder
 *   of its /tmp emptyDir (its run summary stays there; the scorer reads the
 *   publish time from the pointer instead).
 * - Without `spec.objectStore` nothing changes: every pod shares the volume.
 *   The backup Job always mounts it.
 */

/** Panels are published to and read from the object store. */
export function panelsInStore(cr: MaieDeployment): boolean {
  return cr.spec.objectStore !== undefined;
}

export function scorerUsesDataVolume(cr: MaieDeployment): boolean {
  return !(panelsInStore(cr) && cr.spec.model.uri !== undefined);
}

export function pipelineUsesDataVolume(cr: MaieDeployment): boolean {
  return !(panelsInStore(cr) && cr.spec.model.uri !== undefined && cr.spec.pipeline.prices !== undefined);
}

/** MAIE_DATA_DIR of a pod without the data volume: a folder of its /tmp emptyDir. */
export const SCRATCH_DATA_DIR = `${TMP_MOUNT}/data`;

/** Where the pipeline reads its prices: prices/ on the data volume unless the spec names an object or prefix. */
export function pricesEnv(cr: MaieDeployment): V1EnvVar[] {
  const uri = cr.spec.pipeline.prices?.uri;
  return uri === undefined ? [] : [envVar(ENV.pricesUri, uri)];
}

/** The TCP ports the scorer must reach: its model's, and the store's while it follows the panels there. */
export function scorerEgressPorts(cr: MaieDeployment): number[] {
  const ports = new Set(modelEgressPorts(cr));
  if (cr.spec.objectStore !== undefined && panelsInStore(cr)) ports.add(storePort(cr.spec.objectStore));
  return [...ports];
}

/** Where the scorer and the pipeline find the panels. */
export function panelStoreEnv(cr: MaieDeployment): V1EnvVar[] {
  return panelsInStore(cr) ? [envVar(ENV.panelStore, "object-store")] : [];
}

/**
 * The scorer replicas' default placement when they share no volume: at most
 * one more pod on any node, and in any zone, than on the emptiest, as a
 * preference (ScheduleAnyway), so a single-node or single-zone cluster still
 * runs every replica. Only when the spec sets no constraints of its own.
 */
export function defaultScorerSpread(cr: MaieDeployment): V1TopologySpreadConstraint[] {
  const labelSelector = { matchLabels: selectorLabels(cr, "scorer") };
  return ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector,
  }));
}
