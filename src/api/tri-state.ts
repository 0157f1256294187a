import { z } from "zod";

/**
 * The three-way switches of the spec (monitoring and the PodDisruptionBudget).
 * The words follow the Kubernetes API convention and, unlike the strings
 * "true"/"false" they replace, YAML cannot read them as booleans.
 */
export const TRI_STATES = ["Auto", "Enabled", "Disabled"] as const;
export type TriState = (typeof TRI_STATES)[number];

export const TriState = z
  .enum(TRI_STATES)
  .describe(
    "Auto: on when the cluster serves the API, skipped with a status reason otherwise; Enabled: required (a missing API is reported as CRDNotInstalled); Disabled: off.",
  );

/**
 * The values before v1alpha1 renamed them (docs/crd-reference.md, "Tri-state
 * values"). The CRD refuses them in new writes; objects stored earlier may
 * still hold them, and the operator reads them as their new names.
 */
export const LEGACY_TRI_STATES: Readonly<Record<string, TriState>> = {
  auto: "Auto",
  true: "Enabled",
  false: "Disabled",
};

/** Where the spec has a tri-state (a unit test checks this against the generated CRD). */
export const TRI_STATE_PATHS: readonly (readonly string[])[] = [
  ["monitoring", "serviceMonitor", "enabled"],
  ["monitoring", "alerts", "enabled"],
  ["podDisruptionBudget", "enabled"],
];

export interface LegacyUpgrade {
  readonly spec: unknown;
  /** One line per legacy value read, saying what to write instead. */
  readonly notes: readonly string[];
}

/**
 * Reads the legacy tri-state strings of a stored spec as their new names,
 * without touching the input. Anything else is left for the schema to judge.
 */
export function upgradeLegacyTriStates(spec: unknown): LegacyUpgrade {
  let out = spec;
  const notes: string[] = [];
  for (const path of TRI_STATE_PATHS) {
    const value = valueAt(out, path);
    const upgraded = typeof value === "string" ? LEGACY_TRI_STATES[value] : undefined;
    if (upgraded === undefined) continue;
    out = withValueAt(out, path, upgraded);
    notes.push(`spec.${path.join(".")}: "${String(value)}" is the old spelling; write ${upgraded}`);
  }
  return { spec: out, notes };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

function withValueAt(root: unknown, path: readonly string[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined || !isRecord(root)) return value;
  return { ...root, [head]: rest.length === 0 ? value : withValueAt(root[head], rest, value) };
}
