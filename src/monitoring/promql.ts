/**
 * Small, dependency-free helpers to write PromQL safely from TypeScript:
 * selectors with escaped label values, and Prometheus durations. The real
 * Prometheus parser checks every generated expression in the tests.
 */

export type Matcher =
  | { readonly label: string; readonly op: "=" | "!="; readonly value: string }
  | { readonly label: string; readonly op: "=~" | "!~"; readonly regex: string };

export const eq = (label: string, value: string): Matcher => ({ label, op: "=", value });
export const re = (label: string, regex: string): Matcher => ({ label, op: "=~", regex });
export const notRe = (label: string, regex: string): Matcher => ({ label, op: "!~", regex });

/** A PromQL string literal (double-quoted, escaped). */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Escapes a literal for use inside an RE2 regex (Prometheus regexes are anchored). */
export function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `metric{a="b",c=~"d"}`; the metric name may be empty for a bare `{...}` selector. */
export function selector(metric: string, matchers: readonly Matcher[]): string {
  const inner = matchers.map((m) => `${m.label}${m.op}${quote("value" in m ? m.value : m.regex)}`).join(",");
  return `${metric}{${inner}}`;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
  y: 31536000,
};

/** Seconds in a Prometheus duration such as `36h`, `1h30m` or `500ms`; throws on anything else. */
export function durationSeconds(duration: string): number {
  const part = /([0-9]+)(ms|s|m|h|d|w|y)/y;
  let total = 0;
  let consumed = 0;
  for (let m = part.exec(duration); m !== null; m = part.exec(duration)) {
    // The pattern admits only the table's units; a miss would leave the rest unconsumed, refused below.
    const unit = UNIT_SECONDS[m[2] ?? ""];
    if (unit === undefined) break;
    total += Number(m[1]) * unit;
    consumed = part.lastIndex;
  }
  if (duration.length === 0 || consumed !== duration.length) {
    throw new Error(`Invalid Prometheus duration: ${JSON.stringify(duration)}`);
  }
  return total;
}

/** A latency threshold for people: 0.2 → "200ms", 1.5 → "1.5s". */
export function humanSeconds(seconds: number): string {
  return seconds < 1 ? `${Number((seconds * 1000).toPrecision(6))}ms` : `${Number(seconds.toPrecision(6))}s`;
}

/** A ratio for people: 0.01 → "1%". */
export function humanRatio(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}
