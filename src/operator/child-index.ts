import { INSTANCE_LABEL } from "../desired/meta.js";
import type { KubeObject } from "../kube/object.js";

/**
 * Children are found by the resource they belong to through an informer
 * index on their instance label, so a reconcile's cost does not grow with
 * the number of resources in the namespace (listing and filtering every
 * cached object made 1000 reconciles scan 12 million entries).
 */
/** `namespace/instance` of a labelled child, or undefined for an object without the label. */
export function childIndexKey(obj: KubeObject): string | undefined {
  const instance = obj.metadata.labels?.[INSTANCE_LABEL];
  return instance === undefined || obj.metadata.namespace === undefined
    ? undefined
    : resourceIndexKey(obj.metadata.namespace, instance);
}

/** The index key of a MaieDeployment's children. */
export function resourceIndexKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
