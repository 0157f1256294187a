/**
 * Container image references, as the container runtimes read them
 * (distribution/reference): `name[:tag][@sha256:<64 hex>]`, where the name
 * may start with a registry host (and port). One parser for every place an
 * image is given: the operator's own image (MAIE_OPERATOR_IMAGE) and the
 * resource's `spec.image`.
 */

/** One path component: lowercase alphanumerics joined by `.`, `_`, `__` or dashes. */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
/** A registry host (DNS name or bracketed IPv6) with an optional port. */
const DOMAIN =
  "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?";
const NAME = `(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
/** The digests we accept: sha256, the algorithm every registry uses. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(sha256:[0-9a-f]{64}))?$`);

/** Name length limit of the reference grammar. */
const NAME_MAX = 255;

export interface ImageRef {
  /** Repository, with the registry host if one was given. */
  readonly name: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` */
  readonly digest?: string;
}

/** What a valid reference looks like, for error messages. */
export const IMAGE_REFERENCE_FORM = "repository[:tag][@sha256:<64 hex>]";

/** The parts of `image`, or undefined when it is not a valid reference. */
export function parseImageRef(image: string): ImageRef | undefined {
  const m = REFERENCE.exec(image);
  const name = m?.[1];
  if (m === null || name === undefined || name.length > NAME_MAX) return undefined;
  return {
    name,
    ...(m[2] !== undefined ? { tag: m[2] } : {}),
    ...(m[3] !== undefined ? { digest: m[3] } : {}),
  };
}

/**
 * `repository` joined with a tag-or-digest suffix as `spec.image.tag` takes
 * it: a tag (`1.2.3`), a digest (`sha256:…`, joined with `@`) or both
 * (`1.2.3@sha256:…`, the tag then informational).
 */
export function joinImage(repository: string, suffix: string): string {
  return DIGEST_PATTERN.test(suffix) ? `${repository}@${suffix}` : `${repository}:${suffix}`;
}

/**
 * The inverse of `joinImage` for a valid reference: the repository and the
 * tag-or-digest suffix (`latest` when the reference names neither).
 * Throws on a reference `parseImageRef` refuses.
 */
export function splitImageRef(image: string): { repository: string; tag: string } {
  const ref = parseImageRef(image);
  if (ref === undefined)
    throw new Error(`${JSON.stringify(image)} is not an image reference (${IMAGE_REFERENCE_FORM})`);
  const suffix =
    ref.digest === undefined
      ? (ref.tag ?? "latest")
      : ref.tag === undefined
        ? ref.digest
        : `${ref.tag}@${ref.digest}`;
  return { repository: ref.name, tag: suffix };
}
