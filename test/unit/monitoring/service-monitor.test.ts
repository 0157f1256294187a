import { buildService } from "../../../src/desired/service.js";
import { ENDPOINT_LABEL_RELABELINGS, buildServiceMonitor } from "../../../src/desired/service-monitor.js";
import { childMeta, names } from "../../../src/desired/meta.js";
import { sampleResource } from "../api/fixtures.js";
import { ctx, ctxWithoutPrometheus, CUSTOM_SPEC } from "../desired/helpers.js";

interface ServicePort {
  name: string;
}

describe("buildServiceMonitor", () => {
  test("scrapes_metrics_on_port_metrics_every_spec_interval", () => {
    const sm = buildServiceMonitor(sampleResource({}), ctx)!;
    expect(sm.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(sm.kind).toBe("ServiceMonitor");
    expect(sm.spec.endpoints).toHaveLength(1);
    expect(sm.spec.endpoints[0]).toMatchObject({
      port: "metrics",
      path: "/metrics",
      interval: "30s",
      scheme: "http",
    });
    const custom = buildServiceMonitor(sampleResource(CUSTOM_SPEC), ctx)!;
    expect(custom.spec.endpoints[0]!.interval).toBe("15s");
  });

  test("selects_exactly_the_scorer_service_in_its_own_namespace", () => {
    const cr = sampleResource({}, "alpha", "research");
    const sm = buildServiceMonitor(cr, ctx)!;
    const svc = buildService(cr, ctx);
    const svcLabels = svc.metadata.labels ?? {};
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(svcLabels[k]).toBe(v);
    expect(sm.spec.selector.matchLabels["app.kubernetes.io/instance"]).toBe("alpha");
    expect(sm.spec.selector.matchLabels["app.kubernetes.io/component"]).toBe("scorer");
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ["research"] });
    const ports = ((svc["spec"] as { ports?: ServicePort[] }).ports ?? []).map((p) => p.name);
    expect(ports).toContain(sm.spec.endpoints[0]!.port);
  });

  test("does_not_select_the_service_of_another_resource", () => {
    const sm = buildServiceMonitor(sampleResource({}, "alpha"), ctx)!;
    const other = buildService(sampleResource({}, "alpha-2"), ctx);
    const matches = Object.entries(sm.spec.selector.matchLabels).every(
      ([k, v]) => other.metadata.labels?.[k] === v,
    );
    expect(matches).toBe(false);
  });

  test("carries_child_labels_extra_labels_and_the_owner_reference", () => {
    const cr = sampleResource(CUSTOM_SPEC, "beta-v2", "quant-prod");
    const sm = buildServiceMonitor(cr, ctx)!;
    expect(sm.metadata).toEqual(
      childMeta(cr, names.serviceMonitor(cr), "monitoring", { release: "kube-prometheus-stack" }),
    );
    expect(sm.metadata.name).toBe("beta-v2");
  });

  test("moves_the_scorers_endpoint_label_back_from_exported_endpoint", () => {
    const sm = buildServiceMonitor(sampleResource({}), ctx)!;
    expect(sm.spec.endpoints[0]!.metricRelabelings).toEqual(ENDPOINT_LABEL_RELABELINGS);
    expect(sm.spec.endpoints[0]!.metricRelabelings).toEqual([
      {
        sourceLabels: ["exported_endpoint"],
        regex: "(.+)",
        targetLabel: "endpoint",
        replacement: "$1",
        action: "replace",
      },
      { regex: "exported_endpoint", action: "labeldrop" },
    ]);
  });

  test("is_null_when_disabled_or_auto_without_the_prometheus_operator", () => {
    const off = sampleResource({ monitoring: { serviceMonitor: { enabled: "Disabled" } } });
    expect(buildServiceMonitor(off, ctx)).toBeNull();
    expect(buildServiceMonitor(sampleResource({}), ctxWithoutPrometheus)).toBeNull();
    const required = sampleResource({ monitoring: { serviceMonitor: { enabled: "Enabled" } } });
    expect(buildServiceMonitor(required, ctxWithoutPrometheus)).toBeNull();
    expect(buildServiceMonitor(required, ctx)).not.toBeNull();
  });
});
