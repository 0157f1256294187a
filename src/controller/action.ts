/**
 * What a reconcile asks of the controller next (kube-rs's Action): look
 * again after a delay (the periodic safety net for missed events), or wait
 * for the next change.
 */
export type Action =
  { readonly kind: "requeue"; readonly afterMs: number } | { readonly kind: "awaitChange" };

export const Action = {
  requeue: (afterMs: number): Action => ({ kind: "requeue", afterMs }),
  awaitChange: (): Action => ({ kind: "awaitChange" }),
};
