/**
 * The median benches report: the middle value, the upper of the two middle ones for an even count (a value some
 * run measured, never an average of two); NaN when there is none.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
