/**
 * MLflow Model Registry URIs (`spec.model.uri`): `models:/<name>@<alias>`
 * follows an alias the research team moves; `models:/<name>/<version>` pins
 * one version, which never changes in the registry (the GitOps way). Stages
 * (`models:/<name>/Production`) are deprecated since MLflow 2.9 and refused.
 */

/** The registered model's name: MLflow allows more, but '/', '@' or a space would make the URI ambiguous. */
const NAME = "[A-Za-z0-9_.-]{1,256}";
/** MLflow's own rule for aliases: letters, digits, '_' and '-', not only a version-like 'v<digits>'. */
const ALIAS = "[A-Za-z_][A-Za-z0-9_-]{0,254}";
const VERSION = "[1-9][0-9]{0,9}";

/** The pattern of a registry URI, for the CRD and the scorer's config (one definition). */
export const REGISTRY_URI_PATTERN = `models:/(${NAME})(@${ALIAS}|/${VERSION})`;
const REGISTRY_URI = new RegExp(`^models:/(${NAME})(?:@(${ALIAS})|/(${VERSION}))$`);

export type RegistryRef =
  { readonly name: string; readonly alias: string } | { readonly name: string; readonly version: string };

/** What a registry URI names, or undefined when `uri` is not one. */
export function parseRegistryUri(uri: string): RegistryRef | undefined {
  const m = REGISTRY_URI.exec(uri);
  if (m === null) return undefined;
  const [, name, alias, version] = m;
  if (name === undefined) return undefined;
  if (alias !== undefined) return { name, alias };
  return version === undefined ? undefined : { name, version };
}

/** A version URI never moves: once loaded, the pod need not ask again. */
export function isPinnedRegistryRef(ref: RegistryRef): ref is { name: string; version: string } {
  return "version" in ref;
}

/** The version a registry URI resolved to, as pods report it and status.model shows it. */
export interface RegistryVersion {
  readonly name: string;
  /** Set when the URI follows an alias. */
  readonly alias?: string;
  readonly version: string;
  readonly runId?: string;
}

/** `name@alias→vN` when following an alias, `name/vN` when pinned: the printer column's text. */
export function registryVersionRef(v: RegistryVersion): string {
  return v.alias !== undefined ? `${v.name}@${v.alias}→v${v.version}` : `${v.name}/v${v.version}`;
}
