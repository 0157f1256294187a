import type { Condition, ConditionType } from "../api/status.js";

export type ConditionStatus = "True" | "False" | "Unknown";

export interface ConditionInput {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

/**
 * Merges freshly computed conditions into the previous ones the way
 * apimachinery's meta.SetStatusCondition does: lastTransitionTime changes
 * only when the status flips, so `kubectl describe` shows when a fact began.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number,
  now: string,
): Condition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = prev !== undefined && prev.status === c.status ? prev.lastTransitionTime : now;
    return {
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      lastTransitionTime,
      observedGeneration: generation,
    };
  });
}
