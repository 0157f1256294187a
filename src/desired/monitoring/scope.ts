import type { MaieDeployment } from "../../api/resource.js";
import { eq, type Matcher, re, regexLiteral } from "../../monitoring/promql.js";
import { INSTANCE_ALERT_LABEL } from "../../monitoring/topology.js";
import { names } from "../meta.js";

/**
 * Label matchers that select one MaieDeployment's series, shared by the
 * alert rules and the dashboards:
 *
 * - scraped scorer series by `namespace` and `job`: a ServiceMonitor gives
 *   them `job=<Service name>`, and the Service is named like the resource;
 * - kube-state-metrics and cAdvisor series by `namespace` and the pod names
 *   of the scorer Deployment (`<deployment>-<replicaset hash>-<suffix>`);
 * - CronJob and PVC series by their exact names.
 */
export interface InstanceScope {
  readonly namespace: string;
  readonly scorer: readonly Matcher[];
  readonly pods: readonly Matcher[];
  readonly deployment: readonly Matcher[];
  readonly pipelineCronJob: readonly Matcher[];
  readonly backupCronJob: readonly Matcher[];
  readonly pvcs: readonly Matcher[];
  /** Firing alerts about this instance carry these labels (see INSTANCE_ALERT_LABEL). */
  readonly alerts: readonly Matcher[];
  readonly instanceLabels: Readonly<Record<string, string>>;
}

export function instanceScope(cr: MaieDeployment): InstanceScope {
  const namespace = cr.metadata.namespace;
  const ns = eq("namespace", namespace);
  return {
    namespace,
    scorer: [ns, eq("job", names.service(cr))],
    pods: [ns, re("pod", `${regexLiteral(names.deployment(cr))}-[a-z0-9]+-[a-z0-9]+`)],
    deployment: [ns, eq("deployment", names.deployment(cr))],
    pipelineCronJob: [ns, eq("cronjob", names.pipelineCronJob(cr))],
    backupCronJob: [ns, eq("cronjob", names.backupCronJob(cr))],
    pvcs: [
      ns,
      re("persistentvolumeclaim", [names.dataPvc(cr), names.backupsPvc(cr)].map(regexLiteral).join("|")),
    ],
    alerts: [ns, eq(INSTANCE_ALERT_LABEL, cr.metadata.name)],
    instanceLabels: { [INSTANCE_ALERT_LABEL]: cr.metadata.name },
  };
}
