import type { KubeObject } from "../../../src/kube/object.js";
import { reclaimPatch } from "../../../src/operator/reclaim.js";

const service = (ports: unknown[], resourceVersion = "42"): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "alpha", namespace: "ns", resourceVersion },
  spec: { type: "ClusterIP", ports },
});

const ours = { name: "http", port: 8000, targetPort: "http", protocol: "TCP" };

describe("reclaimPatch", () => {
  test("a Service port edited by someone else: replace the list with ours, guarded by resourceVersion", () => {
    const live = service([{ ...ours, port: 9000 }]);
    expect(reclaimPatch(service([ours]), live)).toEqual([
      { op: "test", path: "/metadata/resourceVersion", value: "42" },
      { op: "replace", path: "/spec/ports", value: [ours] },
    ]);
  });

  test("nothing to reclaim when the list is already ours, or for kinds without such lists", () => {
    expect(reclaimPatch(service([ours]), service([ours]))).toBeUndefined();
    const cm: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x", resourceVersion: "1" },
    };
    expect(reclaimPatch(cm, cm)).toBeUndefined();
  });

  test("a container port edited by someone else: replace that container's ports, found by name in the live list", () => {
    const deployment = (containers: unknown[]): KubeObject => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "alpha", namespace: "ns", resourceVersion: "7" },
      spec: { template: { spec: { containers } } },
    });
    const port = { name: "http", containerPort: 8000, protocol: "TCP" };
    const desired = deployment([{ name: "scorer", ports: [port] }]);
    const live = deployment([
      { name: "sidecar", image: "x" },
      { name: "scorer", ports: [{ ...port, containerPort: 9000 }] },
    ]);
    expect(reclaimPatch(desired, live)).toEqual([
      { op: "test", path: "/metadata/resourceVersion", value: "7" },
      { op: "replace", path: "/spec/template/spec/containers/1/ports", value: [port] },
    ]);
    expect(reclaimPatch(desired, deployment([{ name: "scorer", ports: [port] }]))).toBeUndefined();
  });
});
