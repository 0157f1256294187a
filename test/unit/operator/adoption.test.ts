import type { MaieDeployment } from "../../../src/api/resource.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { ADOPT_PVCS_ANNOTATION, childConflict } from "../../../src/operator/adoption.js";

const UID = "00000000-0000-4000-8000-000000000001";

function cr(annotations?: Record<string, string>): MaieDeployment {
  return {
    metadata: { name: "web", namespace: "ns", uid: UID, generation: 1, ...(annotations && { annotations }) },
  } as MaieDeployment;
}

function obj(kind: string, name: string, metadata: Partial<KubeObject["metadata"]> = {}): KubeObject {
  return { apiVersion: "v1", kind, metadata: { name, namespace: "ns", ...metadata } };
}

const owner = (uid: string, controller = true) => ({
  apiVersion: "maie.io/v1alpha1",
  kind: "MaieDeployment",
  name: "web",
  uid,
  controller,
});

const OUR_LABELS = {
  "app.kubernetes.io/managed-by": "maie-operator",
  "app.kubernetes.io/name": "maie",
  "app.kubernetes.io/instance": "web",
};

describe("childConflict: never take over an object we did not create", () => {
  test("absent, or controlled by this resource: ours to apply", () => {
    expect(childConflict(cr(), obj("Service", "web"), undefined)).toBeUndefined();
    expect(
      childConflict(cr(), obj("Service", "web"), obj("Service", "web", { ownerReferences: [owner(UID)] })),
    ).toBeUndefined();
  });

  test("a Service without our controller reference is a conflict naming kind/name", () => {
    expect(childConflict(cr(), obj("Service", "web"), obj("Service", "web"))).toMatch(
      /^Service\/web exists and is not owned by this MaieDeployment/,
    );
    // Our labels are not enough for anything but a PVC, nor is a non-controller reference.
    expect(
      childConflict(
        cr(),
        obj("ConfigMap", "web-dashboards"),
        obj("ConfigMap", "web-dashboards", { labels: OUR_LABELS, ownerReferences: [owner(UID, false)] }),
      ),
    ).toContain("ConfigMap/web-dashboards");
  });

  test("controlled by another object (e.g. an earlier resource of the same name): a conflict naming it", () => {
    expect(
      childConflict(cr(), obj("Ingress", "web"), obj("Ingress", "web", { ownerReferences: [owner("old")] })),
    ).toContain("controlled by MaieDeployment/web");
  });

  test("a PVC retained by an earlier resource of this name (our labels, or our field manager) is reused", () => {
    const pvc = obj("PersistentVolumeClaim", "web-data");
    expect(childConflict(cr(), pvc, obj("PersistentVolumeClaim", "web-data", { labels: OUR_LABELS }))).toBe(
      undefined,
    );
    expect(
      childConflict(
        cr(),
        pvc,
        obj("PersistentVolumeClaim", "web-data", {
          managedFields: [{ manager: "maie-operator", operation: "Apply" }],
        }),
      ),
    ).toBeUndefined();
  });

  test("a foreign PVC is a conflict unless the resource opts in to adopting PVCs", () => {
    const pvc = obj("PersistentVolumeClaim", "web-data");
    const foreign = obj("PersistentVolumeClaim", "web-data", {
      labels: { ...OUR_LABELS, "app.kubernetes.io/instance": "other" },
      managedFields: [{ manager: "kubectl-client-side-apply", operation: "Update" }],
    });
    expect(childConflict(cr(), pvc, foreign)).toContain(ADOPT_PVCS_ANNOTATION);
    expect(childConflict(cr({ [ADOPT_PVCS_ANNOTATION]: "yes" }), pvc, foreign)).toBeDefined();
    expect(childConflict(cr({ [ADOPT_PVCS_ANNOTATION]: "true" }), pvc, foreign)).toBeUndefined();
    // The opt-in covers PVCs only.
    expect(
      childConflict(cr({ [ADOPT_PVCS_ANNOTATION]: "true" }), obj("Service", "web"), obj("Service", "web")),
    ).toBeDefined();
  });
});
