import { parseMaieDeployment } from "../../../src/api/parse.js";
import { CRONJOB_NAME_MAX, MAX_NAME_LENGTH } from "../../../src/api/names.js";
import { desiredChildren } from "../../../src/desired/children.js";

/** The CRD's name bound (crd.ts) is computed from the real child names. */
function children(name: string) {
  const p = parseMaieDeployment({
    metadata: { name, namespace: "ns", uid: "u" },
    spec: {
      ingress: { enabled: true, host: "a.example.com" },
      scorer: { auth: { tokenSecretRef: { name: "t" } } },
      autoscaling: { enabled: true },
      podDisruptionBudget: { enabled: "Enabled" },
    },
  });
  if (!p.ok) throw new Error(p.message);
  return desiredChildren(p.value, {
    capabilities: { prometheusOperator: true },
    defaultImage: { repository: "r", tag: "t" },
  });
}

describe("MAX_NAME_LENGTH", () => {
  test("is the longest name whose children all fit: the longest CronJob is exactly 52 characters", () => {
    const all = children("a".repeat(MAX_NAME_LENGTH));
    const cronJobs = all.filter((c) => c.kind === "CronJob").map((c) => c.metadata.name.length);
    expect(Math.max(...cronJobs)).toBe(CRONJOB_NAME_MAX);
    for (const c of all) {
      expect([c.kind, c.metadata.name.length <= 63]).toEqual([c.kind, true]);
      for (const v of Object.values(c.metadata.labels ?? {})) expect(v.length).toBeLessThanOrEqual(63);
    }
  });
});
