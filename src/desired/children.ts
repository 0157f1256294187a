import type { MaieDeployment } from "../api/resource.js";
import type { KubeObject } from "../kube/object.js";
import { type KindName, RESOURCE_TYPES } from "../kube/resources.js";
import { buildBackupCronJob, buildLoaderCronJob, buildPipelineCronJob } from "./cronjob.js";
import { buildDashboardsConfigMap } from "./dashboards.js";
import { buildDeployment } from "./deployment.js";
import { buildHorizontalPodAutoscaler } from "./hpa.js";
import { buildIngress } from "./ingress.js";
import type { DesiredContext } from "./meta.js";
import { buildNetworkPolicy } from "./network-policy.js";
import { buildPodDisruptionBudget } from "./pdb.js";
import { toKubeObject } from "./plain.js";
import { buildPrometheusRule } from "./prometheus-rule.js";
import { buildBackupsPvc, buildDataPvc } from "./pvc.js";
import { buildService } from "./service.js";
import { buildServiceAccount } from "./service-account.js";
import { buildServiceMonitor } from "./service-monitor.js";

/**
 * Every child a MaieDeployment wants, as a pure function of the resource and
 * the cluster's capabilities. The operator applies what is listed and prunes
 * what it manages but is no longer listed.
 */

/** A child builder: `null` means "not desired" (the operator deletes it if present). */
export type ChildBuilder = (cr: MaieDeployment, ctx: DesiredContext) => KubeObject | null;

/**
 * The core children in apply order: identity and storage first, then what
 * mounts and exposes them, then what depends on the Deployment.
 */
export const CORE_BUILDERS: readonly ChildBuilder[] = [
  buildServiceAccount,
  buildDataPvc,
  buildBackupsPvc,
  buildService,
  buildDeployment,
  buildPipelineCronJob,
  buildBackupCronJob,
  buildLoaderCronJob,
  buildIngress,
  buildHorizontalPodAutoscaler,
  buildPodDisruptionBudget,
  buildNetworkPolicy,
];

/**
 * Runs the builders in order, keeping the non-null results. Every result goes
 * through `toKubeObject`, so whatever a builder returns, the operator gets
 * plain JSON that shares nothing with the resource.
 */
function run(builders: readonly ChildBuilder[], cr: MaieDeployment, ctx: DesiredContext): KubeObject[] {
  const out: KubeObject[] = [];
  for (const build of builders) {
    const child = build(cr, ctx);
    if (child !== null) out.push(toKubeObject(child));
  }
  return out;
}

/** The core (non-monitoring) children, in apply order. */
export function coreChildren(cr: MaieDeployment, ctx: DesiredContext): KubeObject[] {
  return run(CORE_BUILDERS, cr, ctx);
}

/**
 * The monitoring children, in apply order. The ServiceMonitor and the
 * PrometheusRule follow their `Auto`/`Enabled`/`Disabled` setting and
 * `ctx.capabilities.prometheusOperator` (a required but missing API yields
 * null here; the operator reports it as CRDNotInstalled from
 * `monitoringDecision`); the dashboards ConfigMap needs no CRD.
 */
export const MONITORING_BUILDERS: readonly ChildBuilder[] = [
  buildServiceMonitor,
  buildPrometheusRule,
  buildDashboardsConfigMap,
];

/**
 * All desired children in a stable order: the core ones, then the
 * monitoring ones, then `extraBuilders` (for tests or add-ons).
 */
export function desiredChildren(
  cr: MaieDeployment,
  ctx: DesiredContext,
  extraBuilders: readonly ChildBuilder[] = [],
): KubeObject[] {
  return [...coreChildren(cr, ctx), ...run(MONITORING_BUILDERS, cr, ctx), ...run(extraBuilders, cr, ctx)];
}

export interface ManagedKind {
  readonly kind: KindName;
  readonly apiVersion: string;
  readonly plural: string;
  /** Served only when a CRD is installed (Prometheus Operator): list it only when the API is served. */
  readonly crdBacked: boolean;
}

function managed(kind: KindName, crdBacked = false): ManagedKind {
  const t = RESOURCE_TYPES[kind];
  return { kind, apiVersion: t.apiVersion, plural: t.plural, crdBacked };
}

/** Every kind `desiredChildren` can emit, for the operator's informers and prune step. */
export const MANAGED_KINDS: readonly ManagedKind[] = [
  managed("ServiceAccount"),
  managed("PersistentVolumeClaim"),
  managed("Service"),
  managed("Deployment"),
  managed("CronJob"),
  managed("Ingress"),
  managed("HorizontalPodAutoscaler"),
  managed("PodDisruptionBudget"),
  managed("NetworkPolicy"),
  managed("ServiceMonitor", true),
  managed("PrometheusRule", true),
  managed("ConfigMap"),
];
