import type { V1ServiceAccount } from "@kubernetes/client-node";
import { buildServiceAccount } from "../../../src/desired/service-account.js";
import { as, ctx, expectedLabels, OWNER, resource } from "./helpers.js";

describe("buildServiceAccount", () => {
  test("is named after the resource, never mounts a token and is owned by the resource", () => {
    const sa = as<V1ServiceAccount>(buildServiceAccount(resource(), ctx));
    expect(sa.apiVersion).toBe("v1");
    expect(sa.kind).toBe("ServiceAccount");
    expect(sa.metadata).toEqual({
      name: "alpha",
      namespace: "research",
      labels: expectedLabels("scorer"),
      ownerReferences: [OWNER],
    });
    expect(sa.automountServiceAccountToken).toBe(false);
  });
});
