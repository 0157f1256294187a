import { MaieDeploymentSpec } from "./spec.js";
import { upgradeLegacyTriStates } from "./tri-state.js";
import type { MaieDeployment, ObjectMeta } from "./resource.js";
import type { MaieDeploymentStatus } from "./status.js";

/** Raw object as the API returns it, before the spec is parsed. */
export interface RawMaieDeployment {
  apiVersion?: string;
  kind?: string;
  metadata?: Partial<ObjectMeta> & Record<string, unknown>;
  spec?: unknown;
  status?: MaieDeploymentStatus;
}

export type ParseResult =
  | {
      ok: true;
      value: MaieDeployment;
      /** Legacy values read, and what to write instead. */ notes: readonly string[];
    }
  | { ok: false; message: string };

/**
 * Parses an object from the API into a typed resource with every default
 * applied. The apiserver already rejected what the CRD schema can express;
 * what is left (e.g. objects stored before a schema change) is reported in
 * status as InvalidSpec instead of crashing the reconcile.
 */
export function parseMaieDeployment(raw: RawMaieDeployment): ParseResult {
  const legacy = upgradeLegacyTriStates(raw.spec ?? {});
  const result = MaieDeploymentSpec.safeParse(legacy.spec);
  if (!result.success) {
    const message = result.error.issues.map((i) => `spec.${i.path.join(".")}: ${i.message}`).join("; ");
    return { ok: false, message };
  }
  const m = raw.metadata ?? {};
  return {
    ok: true,
    notes: legacy.notes,
    value: {
      apiVersion: raw.apiVersion ?? "",
      kind: raw.kind ?? "",
      metadata: {
        name: m.name ?? "",
        namespace: m.namespace ?? "default",
        uid: m.uid ?? "",
        generation: m.generation ?? 0,
        ...(m.resourceVersion !== undefined && { resourceVersion: m.resourceVersion }),
        ...(m.labels !== undefined && { labels: m.labels }),
        ...(m.annotations !== undefined && { annotations: m.annotations }),
        ...(m.deletionTimestamp !== undefined && { deletionTimestamp: m.deletionTimestamp }),
        ...(m.creationTimestamp !== undefined && { creationTimestamp: m.creationTimestamp }),
      },
      spec: result.data,
      ...(raw.status !== undefined && { status: raw.status }),
    },
  };
}
