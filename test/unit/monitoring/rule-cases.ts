import type { MaieDeployment } from "../../../src/api/resource.js";
import { durationSeconds } from "../../../src/monitoring/promql.js";
import { REQUEST_DURATION_BUCKETS, SCORER_ENDPOINTS } from "../../../src/monitoring/metric-names.js";

/**
 * `promtool test rules` cases: for every alert one scenario where it fires
 * and one where it stays quiet, with input series shaped like what
 * Prometheus really stores (target labels of a ServiceMonitor scrape,
 * kube-state-metrics, cAdvisor and kubelet series with their own labels,
 * neighbouring objects that must not match). Cases are functions of the
 * instance, so the default and a customised resource both run them.
 *
 * The expected `description` is written out here, value included: promtool
 * renders the real template and compares strings exactly.
 */

export interface Series {
  readonly series: string;
  readonly values: string;
}

export interface ExpectedAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly description: string;
}

export interface Check {
  readonly evalTime: string;
  /** Empty: the alert must not be firing at evalTime. */
  readonly expect: readonly ExpectedAlert[];
}

export interface AlertCase {
  readonly alert: string;
  readonly title: string;
  readonly fires: boolean;
  /**
   * Sample step of the input series and rule evaluation interval. Default
   * 1m; cases spanning days use 5m (still within the 5m lookback, and every
   * `for` of those alerts is a multiple of it) so promtool runs 5x fewer
   * evaluations.
   */
  readonly step?: "1m" | "5m";
  readonly series: readonly Series[];
  readonly checks: readonly Check[];
}

/** What the cases need to know about an instance (thresholds as parsed from its spec). */
export interface Instance {
  readonly cr: MaieDeployment;
  readonly name: string;
  readonly namespace: string;
  readonly latencyP95Seconds: number;
  readonly explainLatencyP95Seconds: number;
  readonly errorRatio: number;
  readonly panelMaxAge: string;
}

export function instanceOf(cr: MaieDeployment): Instance {
  const a = cr.spec.monitoring.alerts;
  return {
    cr,
    name: cr.metadata.name,
    namespace: cr.metadata.namespace,
    latencyP95Seconds: a.latencyP95Seconds,
    explainLatencyP95Seconds: a.explainLatencyP95Seconds,
    errorRatio: a.errorRatio,
    panelMaxAge: a.panelMaxAge,
  };
}

// ---- Prometheus template functions, mirrored for the values used here ----

const g4 = (v: number) => String(Number(v.toPrecision(4)));

/** Go's humanizeDuration (prometheus/common helpers/templates). */
export function humanizeDuration(v: number): string {
  if (v === 0) return "0s";
  if (Math.abs(v) >= 1) {
    const d = Math.trunc(v);
    const [s, m, h, days] = [
      d % 60,
      Math.trunc(d / 60) % 60,
      Math.trunc(d / 3600) % 24,
      Math.trunc(d / 86400),
    ];
    if (days !== 0) return `${days}d ${h}h ${m}m ${s}s`;
    if (h !== 0) return `${h}h ${m}m ${s}s`;
    if (m !== 0) return `${m}m ${s}s`;
    return `${g4(v)}s`;
  }
  let prefix = "";
  for (const p of ["m", "u", "n"]) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

export const humanizePercentage = (v: number) => `${g4(v * 100)}%`;

function threshold(v: number): string {
  return v < 1 ? `${Number((v * 1000).toPrecision(6))}ms` : `${Number(v.toPrecision(6))}s`;
}

// ---- series helpers ----

function s(metric: string, labels: Readonly<Record<string, string>>, values: string): Series {
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",");
  return { series: `${metric}{${inner}}`, values };
}

/** A counter growing by `perMinute` every 1m sample, for `minutes` minutes. */
const counter = (perMinute: number, minutes = 60) => `0+${perMinute}x${minutes}`;

const POD_HASH = "7d9f8b6c5";
const podA = (i: Instance) => `${i.name}-${POD_HASH}-x2x4q`;
const podB = (i: Instance) => `${i.name}-${POD_HASH}-m8r2k`;

/** Labels a ServiceMonitor scrape gives a scorer series (after our endpoint relabeling). */
function scorerTarget(i: Instance, pod: string, ip: string): Record<string, string> {
  return {
    namespace: i.namespace,
    job: i.name,
    service: i.name,
    pod,
    container: "scorer",
    instance: `${ip}:8000`,
    endpoint: "http",
  };
}

const KSM = { job: "kube-state-metrics", instance: "10.0.2.9:8080", service: "kube-state-metrics" };
const KUBELET = { job: "kubelet", node: "node-1", instance: "10.0.0.11:10250", service: "kubelet" };

function cadvisor(i: Instance, pod: string, container: string): Record<string, string> {
  return {
    ...KUBELET,
    metrics_path: "/metrics/cadvisor",
    namespace: i.namespace,
    pod,
    container,
    id: `/kubepods/burstable/pod0a1b/${container || "pod"}`,
    image: container ? "ghcr.io/maie/maie:1.0.0" : "",
    name: container ? `k8s_${container}_${pod}` : "",
  };
}

const jobLabels = (i: Instance, severity: string) => ({
  namespace: i.namespace,
  job: i.name,
  severity,
  maie_deployment: i.name,
});

// ---- latency ----

function latencyBuckets(i: Instance, endpoint: string, slowHi: number, perMinute = 600): Series[] {
  const target = { ...scorerTarget(i, podA(i), "10.0.1.5"), endpoint };
  const cumulative = (le: number) => (le < 0.05 ? 0 : le < slowHi ? perMinute * 0.9 : perMinute);
  const metric = "maie_api_request_duration_seconds";
  return [
    ...REQUEST_DURATION_BUCKETS.map((le) =>
      s(`${metric}_bucket`, { ...target, le: String(le) }, counter(cumulative(le))),
    ),
    s(`${metric}_bucket`, { ...target, le: "+Inf" }, counter(perMinute)),
    s(`${metric}_count`, target, counter(perMinute)),
    s(`${metric}_sum`, target, counter(perMinute * 0.9 * 0.04 + perMinute * 0.1 * slowHi)),
  ];
}

/**
 * 90% of requests take 25-50 ms, 10% land in one slow bucket (lo, hi]: the
 * p95 is then the middle of that bucket. Fire: the first bucket whose middle
 * is above the threshold; quiet: the last one whose middle is below.
 */
function slowBuckets(thresholdSeconds: number): { fire: [number, number]; quiet: [number, number] } {
  const pairs: [number, number][] = [];
  for (let k = 1; k < REQUEST_DURATION_BUCKETS.length; k++) {
    const lo = REQUEST_DURATION_BUCKETS[k - 1]!;
    if (lo >= 0.05) pairs.push([lo, REQUEST_DURATION_BUCKETS[k]!]);
  }
  const mid = ([lo, hi]: [number, number]) => (lo + hi) / 2;
  const fire = pairs.find((p) => mid(p) > thresholdSeconds);
  const quiet = [...pairs].reverse().find((p) => mid(p) < thresholdSeconds);
  if (!fire || !quiet) throw new Error(`no histogram bucket brackets threshold ${thresholdSeconds}s`);
  return { fire, quiet };
}

function latencyCases(alert: string, endpoint: string, other: string, thr: number, i: Instance): AlertCase[] {
  const { fire, quiet } = slowBuckets(thr);
  const p95 = (fire[0] + fire[1]) / 2;
  return [
    {
      alert,
      title: `fires when 10% of ${endpoint} requests take ${fire[0]}-${fire[1]}s for 30m`,
      fires: true,
      series: [...latencyBuckets(i, endpoint, fire[1]), ...latencyBuckets(i, other, 0.1)],
      checks: [
        { evalTime: "5m", expect: [] },
        {
          evalTime: "30m",
          expect: [
            {
              labels: jobLabels(i, "warning"),
              description: `p95 latency of ${endpoint} on ${i.namespace}/${i.name} is ${humanizeDuration(p95)} (threshold ${threshold(thr)}) for 10 minutes.`,
            },
          ],
        },
      ],
    },
    {
      alert,
      title: `stays quiet when the p95 of ${endpoint} is just under the threshold and another route is slow`,
      fires: false,
      series: [...latencyBuckets(i, endpoint, quiet[1]), ...latencyBuckets(i, other, 10)],
      checks: [{ evalTime: "30m", expect: [] }],
    },
  ];
}

// ---- error rate ----

function requests(i: Instance, endpoint: string, method: string, code: string, perMinute: number): Series {
  return s(
    "maie_api_requests_total",
    { ...scorerTarget(i, podA(i), "10.0.1.5"), endpoint, method, code },
    counter(perMinute),
  );
}

function errorRateCases(i: Instance): AlertCase[] {
  const total = 1000;
  const fireErrors = total * i.errorRatio * 2;
  const quietErrors = (total * i.errorRatio) / 2;
  return [
    {
      alert: "MaieHighErrorRate",
      title: `fires when ${humanizePercentage(2 * i.errorRatio)} of requests fail with 503/500 for 30m`,
      fires: true,
      series: [
        requests(i, SCORER_ENDPOINTS.scoreExpected, "POST", "200", total - fireErrors - 50),
        requests(i, SCORER_ENDPOINTS.scoreExpected, "POST", "503", fireErrors / 2),
        requests(i, SCORER_ENDPOINTS.explainLocal, "POST", "500", fireErrors / 2),
        requests(i, SCORER_ENDPOINTS.explainLocal, "POST", "200", 50),
        requests(i, SCORER_ENDPOINTS.metrics, "GET", "200", 2),
      ],
      checks: [
        {
          evalTime: "30m",
          expect: [
            {
              labels: jobLabels(i, "critical"),
              description: `${humanizePercentage(2 * i.errorRatio)} of API requests to ${i.namespace}/${i.name} fail with a 5xx status (threshold ${humanizePercentage(i.errorRatio)}) for 10 minutes; probes and scrapes are not counted.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieHighErrorRate",
      title: "stays quiet at half the threshold even while /ready answers 503 to every probe",
      fires: false,
      series: [
        requests(i, SCORER_ENDPOINTS.scoreExpected, "POST", "200", total - quietErrors),
        requests(i, SCORER_ENDPOINTS.scoreExpected, "POST", "503", quietErrors),
        requests(i, SCORER_ENDPOINTS.scoreExpected, "POST", "404", 100),
        requests(i, SCORER_ENDPOINTS.ready, "GET", "503", 200),
      ],
      checks: [{ evalTime: "30m", expect: [] }],
    },
  ];
}

// ---- availability ----

function readyCases(i: Instance): AlertCase[] {
  const ready = (pod: string, container: string, values: string) =>
    s(
      "kube_pod_container_status_ready",
      { ...KSM, namespace: i.namespace, pod, container, uid: "6f1c1f5e-0000-4000-8000-00000000000a" },
      values,
    );
  return [
    {
      alert: "MaieReadyFailing",
      title: "fires when one scorer pod stays unready for 10m",
      fires: true,
      series: [ready(podA(i), "scorer", "1x5 0x30"), ready(podB(i), "scorer", "1x35")],
      checks: [
        { evalTime: "8m", expect: [] },
        {
          evalTime: "20m",
          expect: [
            {
              labels: { namespace: i.namespace, pod: podA(i), severity: "warning", maie_deployment: i.name },
              description: `The scorer container of ${i.namespace}/${podA(i)} has not been ready for 5 minutes; it receives no traffic.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieReadyFailing",
      title: "stays quiet for a 3m blip, a completed pipeline pod and another resource's unready pod",
      fires: false,
      series: [
        ready(podA(i), "scorer", "1x5 0x2 1x30"),
        ready(`${i.name}-pipeline-29400000-q7w2x`, "pipeline", "0x35"),
        ready(`${i.name}-beta-5c6d7f8b9-abcde`, "scorer", "0x35"),
      ],
      checks: [
        { evalTime: "9m", expect: [] },
        { evalTime: "20m", expect: [] },
      ],
    },
  ];
}

function modelCases(i: Instance): AlertCase[] {
  const loaded = (pod: string, ip: string, v: string) => s("maie_model_loaded", scorerTarget(i, pod, ip), v);
  const failures = (v: string) =>
    s("maie_model_reload_failures_total", scorerTarget(i, podA(i), "10.0.1.5"), v);
  return [
    {
      alert: "MaieModelNotLoaded",
      title: "fires when a pod never loads its model",
      fires: true,
      series: [loaded(podA(i), "10.0.1.5", "0x30"), loaded(podB(i), "10.0.1.6", "1x30")],
      checks: [
        {
          evalTime: "10m",
          expect: [
            {
              labels: { ...jobLabels(i, "critical"), pod: podA(i) },
              description: `The scorer in ${i.namespace}/${podA(i)} (job ${i.name}) has had no valid model loaded for 5 minutes; /score and /explain_local cannot answer.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieModelNotLoaded",
      title: "stays quiet when the model loads 2m after start",
      fires: false,
      series: [loaded(podA(i), "10.0.1.5", "0x2 1x30")],
      checks: [{ evalTime: "10m", expect: [] }],
    },
    {
      alert: "MaieModelReloadFailed",
      title: "fires when a changed model file fails to load",
      fires: true,
      series: [failures("0x20 1x20")],
      checks: [
        { evalTime: "15m", expect: [] },
        {
          evalTime: "30m",
          expect: [
            {
              labels: { ...jobLabels(i, "warning"), pod: podA(i) },
              description: `The scorer in ${i.namespace}/${podA(i)} rejected 1 changed model or panel file(s) in the last 15 minutes; it keeps serving the last good one.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieModelReloadFailed",
      title: "stays quiet when the last failures are older than 15m",
      fires: false,
      series: [failures("0x5 2x40")],
      checks: [{ evalTime: "30m", expect: [] }],
    },
  ];
}

function metricsMissingCases(i: Instance): AlertCase[] {
  const up = (pod: string, ip: string, v: string) => s("up", scorerTarget(i, pod, ip), v);
  return [
    {
      alert: "MaieMetricsMissing",
      title: "fires when every scorer target fails its scrapes",
      fires: true,
      series: [up(podA(i), "10.0.1.5", "1x5 0x30"), up(podB(i), "10.0.1.6", "1x5 0x30")],
      checks: [
        {
          evalTime: "20m",
          expect: [
            {
              labels: jobLabels(i, "warning"),
              description: `Prometheus has had no healthy scrape target for ${i.namespace}/${i.name} for 10 minutes, so the other MAIE alerts for it cannot fire.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieMetricsMissing",
      title: "fires when Prometheus discovers no scorer target at all",
      fires: true,
      series: [s("up", { namespace: i.namespace, job: "kube-state-metrics", pod: "ksm-0" }, "1x30")],
      checks: [
        {
          evalTime: "20m",
          expect: [
            {
              labels: jobLabels(i, "warning"),
              description: `Prometheus has had no healthy scrape target for ${i.namespace}/${i.name} for 10 minutes, so the other MAIE alerts for it cannot fire.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieMetricsMissing",
      title: "stays quiet while one of two targets is up",
      fires: false,
      series: [up(podA(i), "10.0.1.5", "1x30"), up(podB(i), "10.0.1.6", "0x30")],
      checks: [{ evalTime: "20m", expect: [] }],
    },
  ];
}

// ---- data ----

/** Minutes in a duration, for series lengths. */
const minutes = (d: string) => durationSeconds(d) / 60;

function panelCases(i: Instance): AlertCase[] {
  const maxAgeMin = minutes(i.panelMaxAge);
  const evalMin = 120 + maxAgeMin + 120;
  // 5m steps: 24 steps = 2h, 288 steps = 1 day.
  const panel = (v: string) => s("maie_expected_latest_timestamp", scorerTarget(i, podA(i), "10.0.1.5"), v);
  return [
    {
      alert: "MaieNoNewExpected",
      title: `fires when the panel written at 02:00 is not replaced for ${i.panelMaxAge} + 2h`,
      fires: true,
      step: "5m",
      series: [panel(`0x23 7200x${evalMin / 5}`)],
      checks: [
        { evalTime: `${120 + maxAgeMin - 10}m`, expect: [] },
        {
          evalTime: `${evalMin}m`,
          expect: [
            {
              labels: jobLabels(i, "warning"),
              description: `The expected panel served by ${i.namespace}/${i.name} was written ${humanizeDuration((evalMin - 120) * 60)} ago (limit ${i.panelMaxAge}); clients get stale alphas.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieNoNewExpected",
      title: "stays quiet when the pipeline writes a new panel every day",
      fires: false,
      step: "5m",
      series: [panel(`0x23 7200x287 93600x287 180000x287`)],
      checks: [
        { evalTime: `${evalMin}m`, expect: [] },
        { evalTime: "70h", expect: [] },
      ],
    },
  ];
}

function pipelineCases(i: Instance): AlertCase[] {
  const cj = { ...KSM, namespace: i.namespace, cronjob: `${i.name}-pipeline` };
  const m = (metric: string, v: string, labels: Record<string, string> = cj) => s(metric, labels, v);
  const firing = (scheduledAt: string) => [
    {
      labels: {
        namespace: i.namespace,
        cronjob: `${i.name}-pipeline`,
        severity: "warning",
        maie_deployment: i.name,
      },
      description: `The run of CronJob ${i.namespace}/${i.name}-pipeline scheduled at ${scheduledAt} finished without success and no run is active.`,
    },
  ];
  return [
    {
      alert: "MaiePipelineFailed",
      title: "fires when the second daily run fails after a first success",
      fires: true,
      series: [
        // run 1 scheduled 00:10, succeeds 00:20; run 2 scheduled 01:00, fails 01:10
        m("kube_cronjob_status_last_schedule_time", "_x10 600x50 3600x40"),
        m("kube_cronjob_status_last_successful_time", "_x20 1200x80"),
        m("kube_cronjob_status_active", "0x9 1x10 0x40 1x10 0x30"),
      ],
      checks: [
        { evalTime: "65m", expect: [] },
        { evalTime: "80m", expect: firing("1970-01-01 01:00:00 +0000 UTC") },
      ],
    },
    {
      alert: "MaiePipelineFailed",
      title: "fires when the very first run fails (no success ever)",
      fires: true,
      series: [
        m("kube_cronjob_status_last_schedule_time", "_x10 600x50"),
        m("kube_cronjob_status_active", "0x9 1x10 0x40"),
      ],
      checks: [{ evalTime: "40m", expect: firing("1970-01-01 00:10:00 +0000 UTC") }],
    },
    {
      alert: "MaiePipelineFailed",
      title:
        "stays quiet while a run is active and after it succeeds; another resource's failed pipeline does not count",
      fires: false,
      series: [
        m("kube_cronjob_status_last_schedule_time", "_x10 600x50 3600x60"),
        m("kube_cronjob_status_last_successful_time", "_x20 1200x69 5400x30"),
        m("kube_cronjob_status_active", "0x9 1x10 0x40 1x30 0x30"),
        m("kube_cronjob_status_last_schedule_time", "_x10 600x100", {
          ...cj,
          cronjob: `${i.name}-x-pipeline`,
        }),
        m("kube_cronjob_status_active", "0x110", { ...cj, cronjob: `${i.name}-x-pipeline` }),
      ],
      checks: [
        { evalTime: "80m", expect: [] },
        { evalTime: "105m", expect: [] },
      ],
    },
  ];
}

function backupCases(i: Instance): AlertCase[] {
  const backup = (v: string) =>
    s("maie_backup_last_success_timestamp", scorerTarget(i, podA(i), "10.0.1.5"), v);
  // 5m steps: backup at 01:00 (3600), evaluated at 39h: 38h old.
  return [
    {
      alert: "MaieBackupStale",
      title: "fires when no backup succeeded for 38h",
      fires: true,
      step: "5m",
      series: [backup("_x12 3600x480")],
      checks: [
        { evalTime: "36h", expect: [] },
        {
          evalTime: "39h",
          expect: [
            {
              labels: jobLabels(i, "warning"),
              description: `The last successful backup of ${i.namespace}/${i.name} finished 1d 14h 0m 0s ago (limit 36h).`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieBackupStale",
      title: "stays quiet with a daily backup",
      fires: false,
      step: "5m",
      series: [backup("_x12 3600x287 90000x287")],
      checks: [{ evalTime: "39h", expect: [] }],
    },
  ];
}

// ---- resources ----

const GI = 1073741824;

function memoryCases(i: Instance): AlertCase[] {
  const ws = (pod: string, container: string, v: number) =>
    s("container_memory_working_set_bytes", cadvisor(i, pod, container), `${v}x30`);
  const limit = (pod: string, container: string) =>
    s(
      "kube_pod_container_resource_limits",
      { ...KSM, namespace: i.namespace, pod, container, resource: "memory", unit: "byte", node: "node-1" },
      `${GI}x30`,
    );
  return [
    {
      alert: "MaieMemoryNearLimit",
      title: "fires when the scorer's working set is 95% of its 1Gi limit for 20m",
      fires: true,
      series: [ws(podA(i), "scorer", Math.round(GI * 0.95)), limit(podA(i), "scorer")],
      checks: [
        {
          evalTime: "20m",
          expect: [
            {
              labels: {
                namespace: i.namespace,
                pod: podA(i),
                container: "scorer",
                severity: "warning",
                maie_deployment: i.name,
              },
              description: `Container scorer in ${i.namespace}/${podA(i)} uses 95% of its memory limit for 15 minutes; it will be OOM-killed if it grows.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieMemoryNearLimit",
      title: "stays quiet at 80% (the pod-level cgroup series above the limit is not a container)",
      fires: false,
      series: [
        ws(podA(i), "scorer", Math.round(GI * 0.8)),
        ws(podA(i), "", Math.round(GI * 1.1)),
        limit(podA(i), "scorer"),
      ],
      checks: [{ evalTime: "20m", expect: [] }],
    },
  ];
}

function cpuCases(i: Instance): AlertCase[] {
  const cpu = (throttledPerMin: number) => [
    s("container_cpu_cfs_periods_total", cadvisor(i, podA(i), "scorer"), counter(600, 40)),
    s(
      "container_cpu_cfs_throttled_periods_total",
      cadvisor(i, podA(i), "scorer"),
      counter(throttledPerMin, 40),
    ),
  ];
  return [
    {
      alert: "MaieCPUThrottled",
      title: "fires when half of the CPU periods are throttled for 30m",
      fires: true,
      series: cpu(300),
      checks: [
        {
          evalTime: "30m",
          expect: [
            {
              labels: {
                namespace: i.namespace,
                pod: podA(i),
                container: "scorer",
                severity: "warning",
                maie_deployment: i.name,
              },
              description: `Container scorer in ${i.namespace}/${podA(i)} is throttled in 50% of CPU periods for 15 minutes (threshold 25%); latency suffers.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieCPUThrottled",
      title: "stays quiet at 10% throttling",
      fires: false,
      series: cpu(60),
      checks: [{ evalTime: "30m", expect: [] }],
    },
  ];
}

function pvcCases(i: Instance): AlertCase[] {
  const capacity = 10 * GI;
  const vol = (pvc: string, freeRatio: number) => {
    const labels = {
      ...KUBELET,
      metrics_path: "/metrics",
      namespace: i.namespace,
      persistentvolumeclaim: pvc,
    };
    return [
      s("kubelet_volume_stats_capacity_bytes", labels, `${capacity}x30`),
      s("kubelet_volume_stats_available_bytes", labels, `${Math.round(capacity * freeRatio)}x30`),
    ];
  };
  return [
    {
      alert: "MaiePVCAlmostFull",
      title: "fires when the data volume has 5% free for 20m",
      fires: true,
      series: [...vol(`${i.name}-data`, 0.05), ...vol(`${i.name}-backups`, 0.5)],
      checks: [
        {
          evalTime: "20m",
          expect: [
            {
              labels: {
                namespace: i.namespace,
                persistentvolumeclaim: `${i.name}-data`,
                severity: "warning",
                maie_deployment: i.name,
              },
              description: `PersistentVolumeClaim ${i.namespace}/${i.name}-data has only 5% free space.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaiePVCAlmostFull",
      title: "stays quiet at 30% free; another claim that is full is not ours",
      fires: false,
      series: [...vol(`${i.name}-data`, 0.3), ...vol(`${i.name}-data-old`, 0.01)],
      checks: [{ evalTime: "20m", expect: [] }],
    },
  ];
}

/** Every case for one instance, by alert. */
export function instanceCases(i: Instance): AlertCase[] {
  return [
    ...latencyCases(
      "MaieHighLatencyScoreExpected",
      SCORER_ENDPOINTS.scoreExpected,
      SCORER_ENDPOINTS.explainLocal,
      i.latencyP95Seconds,
      i,
    ),
    ...latencyCases(
      "MaieHighLatencyExplainLocal",
      SCORER_ENDPOINTS.explainLocal,
      SCORER_ENDPOINTS.scoreExpected,
      i.explainLatencyP95Seconds,
      i,
    ),
    ...errorRateCases(i),
    ...readyCases(i),
    ...modelCases(i),
    ...metricsMissingCases(i),
    ...panelCases(i),
    ...pipelineCases(i),
    ...backupCases(i),
    ...memoryCases(i),
    ...cpuCases(i),
    ...pvcCases(i),
  ];
}

// ---- operator ----

export interface OperatorInstance {
  readonly namespace: string;
  readonly job: string;
}

export function operatorCases(o: OperatorInstance): AlertCase[] {
  const target = (pod: string, ip: string) => ({
    namespace: o.namespace,
    job: o.job,
    service: o.job,
    pod,
    container: "operator",
    instance: `${ip}:8080`,
    endpoint: "metrics",
  });
  const a = target(`${o.job}-6b7c8d9f4-qx7lm`, "10.0.3.4");
  const b = target(`${o.job}-6b7c8d9f4-zt5wn`, "10.0.3.5");
  const labels = (severity: string) => ({ namespace: o.namespace, job: o.job, severity });
  const where = `${o.namespace}/${o.job}`;
  const reconcile = (t: Record<string, string>, result: string, v: string) =>
    s("maie_operator_reconcile_total", { ...t, result }, v);
  return [
    {
      alert: "MaieOperatorReconcileErrors",
      title: "fires when a third of the reconciles fail for 45m",
      fires: true,
      series: [
        reconcile(a, "success", counter(10)),
        reconcile(a, "error", counter(5)),
        reconcile(b, "success", "0x60"),
      ],
      checks: [
        {
          evalTime: "45m",
          expect: [
            {
              labels: labels("warning"),
              description: `33.33% of the reconciles of ${where} end in an error for 15 minutes; children and status may be out of date.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieOperatorReconcileErrors",
      title: "stays quiet with occasional conflicts (under 5%)",
      fires: false,
      series: [reconcile(a, "success", counter(10)), reconcile(a, "error", counter(0.5))],
      checks: [{ evalTime: "45m", expect: [] }],
    },
    {
      alert: "MaieOperatorNoLeader",
      title: "fires when both replicas run but neither leads",
      fires: true,
      series: [s("maie_operator_leader", a, "1x5 0x30"), s("maie_operator_leader", b, "0x35")],
      checks: [
        {
          evalTime: "20m",
          expect: [
            {
              labels: labels("critical"),
              description: `No process of ${where} has been leader for 5 minutes (or none is scraped at all); nothing reconciles MaieDeployments.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieOperatorNoLeader",
      title: "fires when no operator is scraped at all",
      fires: true,
      series: [s("up", { namespace: o.namespace, job: "other", pod: "x" }, "1x30")],
      checks: [
        {
          evalTime: "20m",
          expect: [
            {
              labels: labels("critical"),
              description: `No process of ${where} has been leader for 5 minutes (or none is scraped at all); nothing reconciles MaieDeployments.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieOperatorNoLeader",
      title: "stays quiet through a 2m leader handover",
      fires: false,
      series: [s("maie_operator_leader", a, "1x10 0x30"), s("maie_operator_leader", b, "0x12 1x30")],
      checks: [
        { evalTime: "12m", expect: [] },
        { evalTime: "30m", expect: [] },
      ],
    },
    {
      alert: "MaieOperatorWorkqueueStuck",
      title: "fires when 3 objects wait and nothing reconciles for 20m+",
      fires: true,
      series: [
        s("maie_operator_workqueue_depth", a, "3x40"),
        reconcile(a, "success", "20x40"),
        s("maie_operator_workqueue_depth", b, "0x40"),
      ],
      checks: [
        { evalTime: "3m", expect: [] },
        {
          evalTime: "30m",
          expect: [
            {
              labels: labels("warning"),
              description: `The work queue of ${where} has held 3 or more objects for 15 minutes and no reconcile finished.`,
            },
          ],
        },
      ],
    },
    {
      alert: "MaieOperatorWorkqueueStuck",
      title: "stays quiet when the queue is busy but draining",
      fires: false,
      series: [s("maie_operator_workqueue_depth", a, "3x40"), reconcile(a, "success", counter(30, 40))],
      checks: [{ evalTime: "30m", expect: [] }],
    },
  ];
}
