import { coreChildren, desiredChildren, MANAGED_KINDS } from "../../../src/desired/children.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { ctx, ctxWithoutPrometheus, CUSTOM_SPEC, nonJsonPaths, OWNER, resource } from "./helpers.js";

const ids = (objs: KubeObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`);

describe("desiredChildren", () => {
  test("the defaults give every always-on child, then monitoring, in a stable order", () => {
    expect(ids(desiredChildren(resource(), ctx))).toEqual([
      "ServiceAccount/alpha",
      "PersistentVolumeClaim/alpha-data",
      "PersistentVolumeClaim/alpha-backups",
      "Service/alpha",
      "Deployment/alpha",
      "CronJob/alpha-pipeline",
      "CronJob/alpha-backup",
      "CronJob/alpha-loader",
      "PodDisruptionBudget/alpha",
      "NetworkPolicy/alpha",
      "ServiceMonitor/alpha",
      "PrometheusRule/alpha",
      "ConfigMap/alpha-dashboards",
    ]);
  });

  test("every optional child on: ingress and HPA take their places before the PDB", () => {
    expect(ids(coreChildren(resource(CUSTOM_SPEC), ctx))).toEqual([
      "ServiceAccount/alpha",
      "PersistentVolumeClaim/alpha-data",
      "PersistentVolumeClaim/alpha-backups",
      "Service/alpha",
      "Deployment/alpha",
      "CronJob/alpha-pipeline",
      "CronJob/alpha-backup",
      "CronJob/alpha-loader",
      "Ingress/alpha",
      "HorizontalPodAutoscaler/alpha",
      "PodDisruptionBudget/alpha",
      "NetworkPolicy/alpha",
    ]);
  });

  test("everything optional off leaves the service account, data claim, service, deployment, pipeline and loader", () => {
    const cr = resource({
      replicas: 1,
      backup: { enabled: false },
      networkPolicy: { enabled: false },
      monitoring: {
        serviceMonitor: { enabled: "Disabled" },
        alerts: { enabled: "Disabled" },
        dashboards: { enabled: false },
      },
    });
    expect(ids(desiredChildren(cr, ctx))).toEqual([
      "ServiceAccount/alpha",
      "PersistentVolumeClaim/alpha-data",
      "Service/alpha",
      "Deployment/alpha",
      "CronJob/alpha-pipeline",
      "CronJob/alpha-loader",
    ]);
  });

  test("without the Prometheus Operator API, auto monitoring leaves out ServiceMonitor and PrometheusRule", () => {
    const kinds = desiredChildren(resource(), ctxWithoutPrometheus).map((o) => o.kind);
    expect(kinds).not.toContain("ServiceMonitor");
    expect(kinds).not.toContain("PrometheusRule");
    expect(kinds).toContain("ConfigMap");
  });

  test("extra builders run after the monitoring ones", () => {
    const extra = () => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "extra", namespace: "research" },
    });
    expect(ids(desiredChildren(resource(), ctx, [extra, () => null])).at(-1)).toBe("ConfigMap/extra");
  });

  test.each([
    ["defaults", {}],
    ["custom", CUSTOM_SPEC],
  ])("%s: every child is plain JSON in the resource's namespace with our labels", (_name, spec) => {
    for (const child of desiredChildren(resource(spec), ctx)) {
      const id = `${child.kind}/${child.metadata.name}`;
      expect([id, nonJsonPaths(child)]).toEqual([id, []]);
      expect([id, child.metadata.namespace]).toEqual([id, "research"]);
      expect(child.metadata.labels).toMatchObject({
        "app.kubernetes.io/name": "maie",
        "app.kubernetes.io/instance": "alpha",
        "app.kubernetes.io/managed-by": "maie-operator",
        "app.kubernetes.io/part-of": "maie",
      });
    }
  });

  test("every child but the retained claims has exactly the controller owner reference", () => {
    for (const child of desiredChildren(resource(), ctx)) {
      const expected = child.kind === "PersistentVolumeClaim" ? undefined : [OWNER];
      expect([child.kind, child.metadata.ownerReferences]).toEqual([child.kind, expected]);
    }
    for (const child of desiredChildren(resource({ storage: { retainOnDelete: false } }), ctx)) {
      expect([child.kind, child.metadata.ownerReferences]).toEqual([child.kind, [OWNER]]);
    }
  });

  test("names are unique per kind", () => {
    const all = ids(desiredChildren(resource(CUSTOM_SPEC), ctx));
    expect(new Set(all).size).toBe(all.length);
  });

  test.each([
    ["defaults", {}],
    ["custom", CUSTOM_SPEC],
  ])("%s: is pure: the same input gives deep-equal output and the input is not mutated", (_name, spec) => {
    const cr = resource(spec);
    const before = structuredClone(cr);
    const first = desiredChildren(cr, ctx);
    const second = desiredChildren(cr, ctx);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    expect(cr).toEqual(before);
    // Mutating the output does not reach the input, nor the next call's output.
    const dep = first.find((o) => o.kind === "Deployment")!;
    (dep.metadata.labels as Record<string, string>)["mutated"] = "yes";
    const template = (dep["spec"] as { template: { metadata: { labels: Record<string, string> } } }).template;
    template.metadata.labels["mutated"] = "yes";
    expect(cr).toEqual(before);
    expect(desiredChildren(cr, ctx)).toEqual(second);
  });
});

describe("MANAGED_KINDS", () => {
  test("lists every kind desiredChildren can emit, once each", () => {
    const emitted = new Set(
      [resource(), resource(CUSTOM_SPEC)].flatMap((cr) =>
        desiredChildren(cr, ctx).map((o) => `${o.apiVersion} ${o.kind}`),
      ),
    );
    const managed = MANAGED_KINDS.map((k) => `${k.apiVersion} ${k.kind}`);
    expect(new Set(managed).size).toBe(managed.length);
    expect([...emitted].sort()).toEqual([...managed].sort());
  });

  test("marks the Prometheus Operator kinds as CRD-backed", () => {
    const crd = MANAGED_KINDS.filter((k) => k.crdBacked).map((k) => k.kind);
    expect(crd.sort()).toEqual(["PrometheusRule", "ServiceMonitor"]);
  });
});
