/** The parts of a Node the harness reads. */
export interface NodeList {
  readonly items: readonly {
    readonly metadata: { readonly name: string };
    readonly spec?: { readonly taints?: readonly { readonly key: string }[] };
    readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status: string }[] };
  }[];
}

/** True when the node reports Ready and carries no not-ready/unreachable taint (pure). */
export function nodeSchedulable(node: NodeList["items"][number]): boolean {
  const ready = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
  const tainted = (node.spec?.taints ?? []).some((t) => t.key.startsWith("node.kubernetes.io/"));
  return ready && !tainted;
}
