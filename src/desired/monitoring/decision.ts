import type { MaieDeployment } from "../../api/resource.js";
import type { TriState } from "../../api/tri-state.js";
import type { DesiredContext } from "../meta.js";

/**
 * Whether each monitoring child is desired, and why not when it is not: the
 * operator turns this into the `MonitoringConfigured` condition (design
 * §4) and, for an explicit `Enabled` with the API missing, an event.
 */

export type DecisionReason = "Applied" | "Disabled" | "CRDNotInstalled";

export interface Decision {
  /** The child should exist (apply it); otherwise delete it if present. */
  readonly desired: boolean;
  readonly reason: DecisionReason;
  readonly message: string;
  /** The user asked for it (`Enabled`) but the cluster cannot serve it: report, do not crash-loop. */
  readonly error: boolean;
}

export interface MonitoringDecision {
  readonly serviceMonitor: Decision;
  readonly prometheusRule: Decision;
  readonly dashboards: Decision;
}

const PROMETHEUS_OPERATOR_API = "monitoring.coreos.com/v1";

function triState(what: string, enabled: TriState, served: boolean, field: string): Decision {
  if (enabled === "Disabled") {
    return { desired: false, reason: "Disabled", message: `${what} disabled by ${field}`, error: false };
  }
  if (!served) {
    return enabled === "Auto"
      ? {
          desired: false,
          reason: "CRDNotInstalled",
          message: `${what} skipped: the cluster does not serve ${PROMETHEUS_OPERATOR_API} (${field} is Auto)`,
          error: false,
        }
      : {
          desired: false,
          reason: "CRDNotInstalled",
          message: `${what} required by ${field}: Enabled but the cluster does not serve ${PROMETHEUS_OPERATOR_API}; install the Prometheus Operator CRDs`,
          error: true,
        };
  }
  return { desired: true, reason: "Applied", message: `${what} applied`, error: false };
}

export function serviceMonitorDecision(cr: MaieDeployment, ctx: DesiredContext): Decision {
  return triState(
    "ServiceMonitor",
    cr.spec.monitoring.serviceMonitor.enabled,
    ctx.capabilities.prometheusOperator,
    "spec.monitoring.serviceMonitor.enabled",
  );
}

export function prometheusRuleDecision(cr: MaieDeployment, ctx: DesiredContext): Decision {
  return triState(
    "PrometheusRule",
    cr.spec.monitoring.alerts.enabled,
    ctx.capabilities.prometheusOperator,
    "spec.monitoring.alerts.enabled",
  );
}

export function dashboardsDecision(cr: MaieDeployment): Decision {
  return cr.spec.monitoring.dashboards.enabled
    ? { desired: true, reason: "Applied", message: "dashboards ConfigMap applied", error: false }
    : {
        desired: false,
        reason: "Disabled",
        message: "dashboards disabled by spec.monitoring.dashboards.enabled",
        error: false,
      };
}

export function monitoringDecision(cr: MaieDeployment, ctx: DesiredContext): MonitoringDecision {
  return {
    serviceMonitor: serviceMonitorDecision(cr, ctx),
    prometheusRule: prometheusRuleDecision(cr, ctx),
    dashboards: dashboardsDecision(cr),
  };
}

/**
 * The `MonitoringConfigured` condition summarising the ServiceMonitor and
 * PrometheusRule decisions (dashboards need no CRD and do not count):
 * `False/CRDNotInstalled` when one was required but cannot be served,
 * `True/Applied` when at least one is applied, `False/CRDNotInstalled` when
 * they were skipped because the API is missing (Auto), and `True/Disabled`
 * when both are turned off (nothing was asked for, so nothing is missing).
 * The operator adds `False/ApplyFailed` when an apply of one of them fails.
 */
export function monitoringCondition(d: MonitoringDecision): {
  status: "True" | "False";
  reason: DecisionReason;
  message: string;
} {
  const parts = [d.serviceMonitor, d.prometheusRule];
  const message = parts.map((p) => p.message).join("; ");
  if (parts.some((p) => p.error)) return { status: "False", reason: "CRDNotInstalled", message };
  if (parts.some((p) => p.desired)) return { status: "True", reason: "Applied", message };
  if (parts.some((p) => p.reason === "CRDNotInstalled")) {
    return { status: "False", reason: "CRDNotInstalled", message };
  }
  return { status: "True", reason: "Disabled", message };
}
