import type { V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { buildBackupsPvc, buildDataPvc } from "../../../src/desired/pvc.js";
import { as, ctx, expectedLabels, OWNER, resource } from "./helpers.js";

const data = (spec: unknown = {}) => as<V1PersistentVolumeClaim>(buildDataPvc(resource(spec), ctx));
const backups = (spec: unknown = {}) => as<V1PersistentVolumeClaim>(buildBackupsPvc(resource(spec), ctx));

describe("buildDataPvc and buildBackupsPvc", () => {
  test("default claims have the spec's sizes, ReadWriteOnce, no class and the storage labels", () => {
    expect(data().metadata?.name).toBe("alpha-data");
    expect(data().metadata?.labels).toEqual(expectedLabels("storage"));
    expect(data().spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "10Gi" } },
    });
    expect(backups().metadata?.name).toBe("alpha-backups");
    expect(backups().spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "20Gi" } },
    });
  });

  test("retained claims (the default) carry no owner reference, so they outlive the resource", () => {
    expect(data().metadata).not.toHaveProperty("ownerReferences");
    expect(backups().metadata).not.toHaveProperty("ownerReferences");
  });

  test("with retainOnDelete false both claims get the controller owner reference", () => {
    const spec = { storage: { retainOnDelete: false } };
    expect(data(spec).metadata?.ownerReferences).toEqual([OWNER]);
    expect(backups(spec).metadata?.ownerReferences).toEqual([OWNER]);
  });

  test("sizes, classes and access modes come from the spec", () => {
    const spec = {
      storage: {
        data: { size: "64Gi", storageClassName: "fast", accessModes: ["ReadWriteMany"] },
        backups: { size: "1Ti", storageClassName: "cold" },
      },
    };
    expect(data(spec).spec).toEqual({
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: "64Gi" } },
      storageClassName: "fast",
    });
    expect(backups(spec).spec?.storageClassName).toBe("cold");
    expect(backups(spec).spec?.resources?.requests).toEqual({ storage: "1Ti" });
  });

  test("an empty storageClassName means the cluster default, so the field is left out", () => {
    expect(data({ storage: { data: { storageClassName: "" } } }).spec).not.toHaveProperty("storageClassName");
  });

  test("the backups claim is not desired while backups are disabled; the data claim always is", () => {
    expect(buildBackupsPvc(resource({ backup: { enabled: false } }), ctx)).toBeNull();
    expect(buildDataPvc(resource({ backup: { enabled: false } }), ctx)).not.toBeNull();
  });
});
