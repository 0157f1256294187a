import { InvalidSpecError } from "./errors.js";

/**
 * Annotations the spec passes through that would weaken the pods or let a
 * resource author run code in a shared component. The schema cannot know
 * them all, so the builders refuse them (InvalidSpec, naming the key):
 *
 * - pod annotations that turn off confinement: AppArmor
 *   (`container.apparmor.security.beta.kubernetes.io/<container>:
 *   unconfined`) and the legacy seccomp annotations
 *   (`seccomp.security.alpha.kubernetes.io/pod`,
 *   `container.seccomp.security.alpha.kubernetes.io/<container>`) set to
 *   `unconfined`. The pods run under the restricted profile with
 *   RuntimeDefault seccomp; these would undo it on clusters that still
 *   honour the annotations.
 * - Ingress annotations that inject configuration into the ingress
 *   controller: every key whose name ends in `snippet` or `snippets`
 *   (ingress-nginx `nginx.ingress.kubernetes.io/configuration-snippet`,
 *   `server-snippet`, `auth-snippet`, …; NGINX Inc `nginx.org/*-snippets`;
 *   HAProxy `*-config-snippet`). A snippet runs in the controller, which
 *   serves every namespace and can read its Secrets.
 *
 * `kubectl.kubernetes.io/*` is not refused: those keys only steer kubectl
 * (default container, restartedAt) and grant nothing.
 */

const APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/";
const SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";
const UNCONFINED = "unconfined";

/** The reason a pod annotation is refused, or undefined when it is allowed. */
export function podAnnotationProblem(key: string, value: string): string | undefined {
  const unconfined = value.trim().toLowerCase() === UNCONFINED;
  if (key.startsWith(APPARMOR_PREFIX) && unconfined) {
    return "AppArmor unconfined is refused: MAIE pods run confined (remove the annotation or use runtime/default)";
  }
  if ((key === SECCOMP_POD || key.startsWith(SECCOMP_CONTAINER_PREFIX)) && unconfined) {
    return "seccomp unconfined is refused: MAIE pods run with the RuntimeDefault seccomp profile";
  }
  return undefined;
}

/** The reason an Ingress annotation is refused, or undefined when it is allowed. */
export function ingressAnnotationProblem(key: string): string | undefined {
  const name = key.slice(key.lastIndexOf("/") + 1).toLowerCase();
  if (name.endsWith("snippet") || name.endsWith("snippets")) {
    return "configuration snippets are refused: they run in the shared ingress controller (use the controller's dedicated annotations instead)";
  }
  return undefined;
}

function check(
  annotations: Readonly<Record<string, string>>,
  field: string,
  problem: (key: string, value: string) => string | undefined,
): void {
  for (const [key, value] of Object.entries(annotations)) {
    const reason = problem(key, value);
    if (reason !== undefined) throw new InvalidSpecError(`${field}[${JSON.stringify(key)}]`, reason);
  }
}

/** Throws InvalidSpecError for the first refused key of `spec.podAnnotations`. */
export function checkPodAnnotations(annotations: Readonly<Record<string, string>>): void {
  check(annotations, "spec.podAnnotations", podAnnotationProblem);
}

/** Throws InvalidSpecError for the first refused key of `spec.ingress.annotations`. */
export function checkIngressAnnotations(annotations: Readonly<Record<string, string>>): void {
  check(annotations, "spec.ingress.annotations", (key) => ingressAnnotationProblem(key));
}
