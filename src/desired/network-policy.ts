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
import { scorerEgressPorts } from "./data-mode.js";
import { scorerMetricsPort } from "./service.js";

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
    egress: { to?: V1NetworkPolicyPeer[]; ports?: V1NetworkPolicyPort[] }[];
  };
}

/** Namespace Prometheus scrapes from (kube-prometheus' default); other namespaces go in `allowFrom`. */
export const MONITORING_NAMESPACE = "monitoring";

/** The cluster DNS pods: CoreDNS keeps kube-dns' `k8s-app` label in kube-system. */
export const CLUSTER_DNS_PEER: V1NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
};
/** The operator's pods (config/manager and the Helm chart label them so), wherever it is installed. */
export const OPERATOR_PEER: V1NetworkPolicyPeer = {
  namespaceSelector: {},
  podSelector: {
    matchLabels: { "app.kubernetes.io/name": "maie", "app.kubernetes.io/component": "operator" },
  },
};
const DNS_PORTS: V1NetworkPolicyPort[] = [
  { protocol: "UDP", port: 53 },
  { protocol: "TCP", port: 53 },
];

/**
 * Default deny for the scorer pods, in both directions, with these holes:
 *
 * - ingress on the scorer port, the management port (`metrics`: probes and
 *   /metrics) and the app port (when the app container has one) from the
 *   peers in `networkPolicy.allowFrom` (ingress controller, clients, a
 *   Prometheus elsewhere) — not from the rest of the namespace;
 * - ingress on the management port only from the `monitoring` namespace
 *   (Prometheus scrapes /metrics there; it gets no access to the API);
 * - ingress on the management port from the MAIE operator's pods, in any
 *   namespace: the operator reads each pod's /ready to report the model
 *   served (status.model); that port serves only probes and metrics;
 * - egress to the cluster DNS (kube-system kube-dns, UDP and TCP 53) and to
 *   the `allowFrom` peers; with a model URI (`spec.model.uri`) also to any
 *   address on the store's or URL's port, since a NetworkPolicy cannot name
 *   a host; nothing else. The optional app container shares the pod and so
 *   this policy.
 *
 * A rule with no peers would admit every source or destination, so a rule
 * is only written when it has peers. Only while `networkPolicy.enabled`.
 */
export function buildNetworkPolicy(cr: MaieDeployment, _ctx: DesiredContext): KubeObject | null {
  const { networkPolicy, scorer, app } = cr.spec;
  if (!networkPolicy.enabled) return null;
  const metricsPort: V1NetworkPolicyPort = { protocol: "TCP", port: scorerMetricsPort(cr) };
  const ports: V1NetworkPolicyPort[] = [{ protocol: "TCP", port: scorer.port }, metricsPort];
  if (app?.port !== undefined) ports.push({ protocol: "TCP", port: app.port });
  const peers = passThroughList<V1NetworkPolicyPeer>(networkPolicy.allowFrom) ?? [];
  const monitoring: V1NetworkPolicyPeer = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } },
  };
  const np: NetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMeta(cr, names.networkPolicy(cr), "network"),
    spec: {
      podSelector: { matchLabels: selectorLabels(cr, "scorer") },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        ...(peers.length > 0 ? [{ from: peers, ports }] : []),
        { from: [monitoring, OPERATOR_PEER], ports: [metricsPort] },
      ],
      egress: [
        { to: [CLUSTER_DNS_PEER], ports: DNS_PORTS },
        ...(peers.length > 0 ? [{ to: peers }] : []),
        ...scorerEgressPorts(cr).map((port) => ({ ports: [{ protocol: "TCP", port }] })),
      ],
    },
  };
  return toKubeObject(np);
}
