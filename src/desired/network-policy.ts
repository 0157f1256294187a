import type {
  V1LabelSelector,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
  V1ObjectMeta,
} from "@kubernetes/client-node";
import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { childMeta, type DesiredContext, names, selectorLabels } from "./meta.js";
import { passThroughList, toKubeObject } from "./plain.js";

/**
 * networking.k8s.io/v1 NetworkPolicy as JSON. client-node's model renames
 * the rule's `from` to `_from` (a reserved word in its generator), so the
 * JSON shape is spelled out here.
 */
interface NetworkPolicy {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: V1ObjectMeta;
  spec: {
    podSelector: V1LabelSelector;
    policyTypes: ("Ingress" | "Egress")[];
    ingress: { from: V1NetworkPolicyPeer[]; ports: V1NetworkPolicyPort[] }[];
  };
}

/**
 * Ingress to the scorer pods only on the scorer port (and the app port, when
 * the app container has one), only from pods of the same namespace and the
 * peers in `networkPolicy.allowFrom` (ingress controller, Prometheus).
 * Egress is not restricted. Only while `networkPolicy.enabled`.
 */
export function buildNetworkPolicy(cr: MaieDeployment, _ctx: DesiredContext): KubeObject | null {
  const { networkPolicy, scorer, app } = cr.spec;
  if (!networkPolicy.enabled) return null;
  const ports: V1NetworkPolicyPort[] = [{ protocol: "TCP", port: scorer.port }];
  if (app?.port !== undefined) ports.push({ protocol: "TCP", port: app.port });
  const from: V1NetworkPolicyPeer[] = [
    { podSelector: {} },
    ...(passThroughList<V1NetworkPolicyPeer>(networkPolicy.allowFrom) ?? []),
  ];
  const np: NetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMeta(cr, names.networkPolicy(cr), "network"),
    spec: {
      podSelector: { matchLabels: selectorLabels(cr, "scorer") },
      policyTypes: ["Ingress"],
      ingress: [{ from, ports }],
    },
  };
  return toKubeObject(np);
}
