import type { MaieDeployment } from "../api/resource.js";

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

/**
 * Whether a CronJob's `timeZone` names a zone. Kubernetes loads it with Go's
 * time.LoadLocation from the tz database (canonical names and the `backward`
 * aliases such as US/Eastern, case-sensitive). Node's ICU knows the same
 * database: a name `Intl.DateTimeFormat` accepts is a zone, with two
 * exceptions ICU allows and Go does not, refused here: offsets (`+05:00`) and
 * a canonical name in the wrong case. `Intl.supportedValuesOf('timeZone')`
 * is not used: it lists canonical names only (no UTC, no aliases).
 */
export function knownTimeZone(tz: string): boolean {
  if (tz === "Local" || /^[+-]/.test(tz)) return false;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  return resolved === tz || resolved.toLowerCase() !== tz.toLowerCase();
}
