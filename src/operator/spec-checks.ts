import type { MaieDeployment } from "../api/resource.js";
import { GO_TIME_ZONES } from "./time-zones.generated.js";

/**
 * What the CRD schema cannot see, checked before any child is applied and
 * reported as InvalidSpec (a spec that can never work is not half-applied).
 */
export function specProblems(cr: MaieDeployment): string[] {
  const problems: string[] = [];
  const tz = cr.spec.pipeline.timeZone;
  if (!knownTimeZone(tz))
    problems.push(
      `spec.pipeline.timeZone: unknown time zone "${tz}" (use an IANA name such as UTC or America/New_York)`,
    );
  return problems;
}

const KNOWN_TIME_ZONES: ReadonlySet<string> = new Set(GO_TIME_ZONES);

/**
 * Whether a CronJob's `timeZone` names a zone. Kubernetes checks it with Go's
 * time.LoadLocation (the tz database's canonical names and `backward` aliases
 * such as US/Eastern, case-sensitive; `Local` refused), so the names come
 * from Go's own tz database (`tools/time-zones`), not from ICU: asking
 * `Intl.DateTimeFormat` loaded ICU's zone and locale data, about 12 MiB of
 * RSS the operator held for one check (docs/operator.md, Caches), and ICU
 * also allows offsets such as `+05:00` and names in the wrong case.
 */
export function knownTimeZone(tz: string): boolean {
  return KNOWN_TIME_ZONES.has(tz);
}
