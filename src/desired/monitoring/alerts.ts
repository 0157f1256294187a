import type { MaieDeployment } from "../../api/resource.js";
import { INFRA_ENDPOINTS, SCORER_ENDPOINTS, SCORER_METRICS } from "../../monitoring/metric-names.js";
import {
  durationSeconds,
  eq,
  humanRatio,
  humanSeconds,
  notRe,
  re,
  regexLiteral,
  selector,
} from "../../monitoring/promql.js";
import { SCORER_CONTAINER } from "../deployment.js";
import { alertingRule, type AlertingRule, type RuleGroup, type Severity } from "./rule-types.js";
import { type InstanceScope, instanceScope } from "./scope.js";

/**
 * The alerts about one MaieDeployment (design §6), as Prometheus rule
 * groups. Every selector is scoped to the instance (see `instanceScope`).
 * Thresholds come from `spec.monitoring.alerts`. Each alert has a runbook in
 * docs/runbooks/<alert>.md.
 */

/** No successful backup for this long fires MaieBackupStale (backups run daily). */
export const BACKUP_MAX_AGE = "36h";
/** Share of CPU periods throttled above which MaieCPUThrottled fires (as kubernetes-mixin). */
export const CPU_THROTTLED_RATIO = 0.25;
/** Working set over memory limit above which MaieMemoryNearLimit fires. */
export const MEMORY_LIMIT_RATIO = 0.9;
/** Free space ratio below which MaiePVCAlmostFull fires. */
export const PVC_FREE_RATIO = 0.1;

/** Alert names of one instance, in the order they are built. */
export const INSTANCE_ALERTS = [
  "MaieHighLatencyScoreExpected",
  "MaieHighLatencyExplainLocal",
  "MaieHighErrorRate",
  "MaieReadyFailing",
  "MaieModelNotLoaded",
  "MaieModelReloadFailed",
  "MaieMetricsMissing",
  "MaieNoNewExpected",
  "MaiePipelineFailed",
  "MaieBackupStale",
  "MaieMemoryNearLimit",
  "MaieCPUThrottled",
  "MaiePVCAlmostFull",
] as const;
export type InstanceAlert = (typeof INSTANCE_ALERTS)[number];

/** Which alerts a resource gets: some only make sense for some specs. */
export interface AlertOptions {
  /** Our ServiceMonitor scrapes the scorer, so a missing target is an error (MaieMetricsMissing). */
  readonly scraped: boolean;
}

function rule(
  s: InstanceScope,
  alert: InstanceAlert,
  severity: Severity,
  expr: string,
  forDuration: string | undefined,
  summary: string,
  description: string,
): AlertingRule {
  return alertingRule(alert, severity, expr, forDuration, summary, description, s.instanceLabels);
}

const WHERE_JOB = "{{ $labels.namespace }}/{{ $labels.job }}";
const WHERE_POD = "{{ $labels.namespace }}/{{ $labels.pod }}";

function latencyRule(
  s: InstanceScope,
  alert: InstanceAlert,
  endpoint: string,
  thresholdSeconds: number,
): AlertingRule {
  const buckets = selector(`${SCORER_METRICS.apiRequestDurationSeconds}_bucket`, [
    ...s.scorer,
    eq("endpoint", endpoint),
  ]);
  return rule(
    s,
    alert,
    "warning",
    `histogram_quantile(0.95, sum by (namespace, job, le) (rate(${buckets}[5m]))) > ${thresholdSeconds}`,
    "10m",
    `${endpoint} p95 latency above ${humanSeconds(thresholdSeconds)}`,
    `p95 latency of ${endpoint} on ${WHERE_JOB} is {{ $value | humanizeDuration }} (threshold ${humanSeconds(thresholdSeconds)}) for 10 minutes.`,
  );
}

function apiGroup(cr: MaieDeployment, s: InstanceScope): RuleGroup {
  const a = cr.spec.monitoring.alerts;
  const real = [...s.scorer, notRe("endpoint", INFRA_ENDPOINTS.map(regexLiteral).join("|"))];
  const errors = selector(SCORER_METRICS.apiRequestsTotal, [...real, re("code", "5..")]);
  const all = selector(SCORER_METRICS.apiRequestsTotal, real);
  return {
    name: groupName(cr, "api"),
    rules: [
      latencyRule(s, "MaieHighLatencyScoreExpected", SCORER_ENDPOINTS.scoreExpected, a.latencyP95Seconds),
      latencyRule(
        s,
        "MaieHighLatencyExplainLocal",
        SCORER_ENDPOINTS.explainLocal,
        a.explainLatencyP95Seconds,
      ),
      rule(
        s,
        "MaieHighErrorRate",
        "critical",
        `sum by (namespace, job) (rate(${errors}[5m]))\n  / sum by (namespace, job) (rate(${all}[5m]))\n> ${a.errorRatio}`,
        "10m",
        `Scorer 5xx ratio above ${humanRatio(a.errorRatio)}`,
        `{{ $value | humanizePercentage }} of API requests to ${WHERE_JOB} fail with a 5xx status (threshold ${humanRatio(a.errorRatio)}) for 10 minutes; probes and scrapes are not counted.`,
      ),
    ],
  };
}

function availabilityGroup(cr: MaieDeployment, s: InstanceScope, opts: AlertOptions): RuleGroup {
  const ready = selector("kube_pod_container_status_ready", [...s.pods, eq("container", SCORER_CONTAINER)]);
  const loaded = selector(SCORER_METRICS.modelLoaded, s.scorer);
  const reloadFailures = selector(SCORER_METRICS.modelReloadFailuresTotal, s.scorer);
  const rules: AlertingRule[] = [
    rule(
      s,
      "MaieReadyFailing",
      "warning",
      `max by (namespace, pod) (${ready}) == 0`,
      "5m",
      "Scorer pod not ready",
      `The scorer container of ${WHERE_POD} has not been ready for 5 minutes; it receives no traffic.`,
    ),
    rule(
      s,
      "MaieModelNotLoaded",
      "critical",
      `max by (namespace, job, pod) (${loaded}) == 0`,
      "5m",
      "Scorer has no model loaded",
      `The scorer in ${WHERE_POD} (job {{ $labels.job }}) has had no valid model loaded for 5 minutes; /score and /explain_local cannot answer.`,
    ),
    rule(
      s,
      "MaieModelReloadFailed",
      "warning",
      `sum by (namespace, job, pod) (increase(${reloadFailures}[15m])) > 0`,
      undefined,
      "A new model or panel file failed to load",
      `The scorer in ${WHERE_POD} rejected {{ $value | printf "%.0f" }} changed model or panel file(s) in the last 15 minutes; it keeps serving the last good one.`,
    ),
  ];
  if (opts.scraped) {
    rules.push(
      rule(
        s,
        "MaieMetricsMissing",
        "warning",
        `max by (namespace, job) (${selector("up", s.scorer)}) < 1\nor\nabsent(${selector("up", s.scorer)})`,
        "10m",
        "Prometheus scrapes no scorer target",
        `Prometheus has had no healthy scrape target for ${WHERE_JOB} for 10 minutes, so the other MAIE alerts for it cannot fire.`,
      ),
    );
  }
  return { name: groupName(cr, "availability"), rules };
}

function dataGroup(cr: MaieDeployment, s: InstanceScope): RuleGroup {
  const panelMaxAge = cr.spec.monitoring.alerts.panelMaxAge;
  const cronjob = s.pipelineCronJob;
  const lastSchedule = `max by (namespace, cronjob) (${selector("kube_cronjob_status_last_schedule_time", cronjob)})`;
  const lastSuccess = `max by (namespace, cronjob) (${selector("kube_cronjob_status_last_successful_time", cronjob)})`;
  const active = `max by (namespace, cronjob) (${selector("kube_cronjob_status_active", cronjob)})`;
  const rules: AlertingRule[] = [
    rule(
      s,
      "MaieNoNewExpected",
      "warning",
      `time() - max by (namespace, job) (${selector(SCORER_METRICS.expectedLatestTimestamp, s.scorer)}) > ${durationSeconds(panelMaxAge)}`,
      "5m",
      `Expected panel older than ${panelMaxAge}`,
      `The expected panel served by ${WHERE_JOB} was written {{ $value | humanizeDuration }} ago (limit ${panelMaxAge}); clients get stale alphas.`,
    ),
    rule(
      s,
      "MaiePipelineFailed",
      "warning",
      `(\n  ${lastSchedule} > ${lastSuccess}\n  or\n  (${lastSchedule} unless on (namespace, cronjob) ${lastSuccess})\n)\nand on (namespace, cronjob) (${active} == 0)`,
      "5m",
      "The last pipeline run failed",
      `The run of CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} scheduled at {{ $value | humanizeTimestamp }} finished without success and no run is active.`,
    ),
  ];
  if (cr.spec.backup.enabled) {
    rules.push(
      rule(
        s,
        "MaieBackupStale",
        "warning",
        `time() - max by (namespace, job) (${selector(SCORER_METRICS.backupLastSuccessTimestamp, s.scorer)}) > ${durationSeconds(BACKUP_MAX_AGE)}`,
        "30m",
        `No successful backup for ${BACKUP_MAX_AGE}`,
        `The last successful backup of ${WHERE_JOB} finished {{ $value | humanizeDuration }} ago (limit ${BACKUP_MAX_AGE}).`,
      ),
    );
  }
  return { name: groupName(cr, "data"), rules };
}

function resourcesGroup(cr: MaieDeployment, s: InstanceScope): RuleGroup {
  const containers = [...s.pods, notRe("container", "|POD")];
  const workingSet = selector("container_memory_working_set_bytes", containers);
  const memLimit = selector("kube_pod_container_resource_limits", [...s.pods, eq("resource", "memory")]);
  const throttled = selector("container_cpu_cfs_throttled_periods_total", containers);
  const periods = selector("container_cpu_cfs_periods_total", containers);
  const pvcs = s.pvcs;
  const by = "by (namespace, pod, container)";
  const byPvc = "by (namespace, persistentvolumeclaim)";
  return {
    name: groupName(cr, "resources"),
    rules: [
      rule(
        s,
        "MaieMemoryNearLimit",
        "warning",
        `max ${by} (${workingSet})\n  / on (namespace, pod, container)\nmax ${by} (${memLimit})\n> ${MEMORY_LIMIT_RATIO}`,
        "15m",
        `Container memory above ${humanRatio(MEMORY_LIMIT_RATIO)} of its limit`,
        `Container {{ $labels.container }} in ${WHERE_POD} uses {{ $value | humanizePercentage }} of its memory limit for 15 minutes; it will be OOM-killed if it grows.`,
      ),
      rule(
        s,
        "MaieCPUThrottled",
        "warning",
        `sum ${by} (rate(${throttled}[5m]))\n  / sum ${by} (rate(${periods}[5m]))\n> ${CPU_THROTTLED_RATIO}`,
        "15m",
        "Container CPU throttled",
        `Container {{ $labels.container }} in ${WHERE_POD} is throttled in {{ $value | humanizePercentage }} of CPU periods for 15 minutes (threshold ${humanRatio(CPU_THROTTLED_RATIO)}); latency suffers.`,
      ),
      rule(
        s,
        "MaiePVCAlmostFull",
        "warning",
        `max ${byPvc} (${selector("kubelet_volume_stats_available_bytes", pvcs)})\n  / max ${byPvc} (${selector("kubelet_volume_stats_capacity_bytes", pvcs)})\n< ${PVC_FREE_RATIO}`,
        "15m",
        `Volume has less than ${humanRatio(PVC_FREE_RATIO)} free`,
        `PersistentVolumeClaim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has only {{ $value | humanizePercentage }} free space.`,
      ),
    ],
  };
}

function groupName(cr: MaieDeployment, part: string): string {
  return `maie.${cr.metadata.namespace}.${cr.metadata.name}.${part}`;
}

/** The alert rule groups for one MaieDeployment. Pure. */
export function instanceRuleGroups(cr: MaieDeployment, opts: AlertOptions): RuleGroup[] {
  const s = instanceScope(cr);
  return [apiGroup(cr, s), availabilityGroup(cr, s, opts), dataGroup(cr, s), resourcesGroup(cr, s)];
}
