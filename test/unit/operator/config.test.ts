import { loadOperatorConfig, splitImage } from "../../../src/operator/config.js";

describe("operator configuration", () => {
  test("flags win over environment variables, and defaults fill the rest", () => {
    const c = loadOperatorConfig(
      { concurrency: "8" },
      { MAIE_OPERATOR_CONCURRENCY: "2", MAIE_WATCH_NAMESPACE: "quant" },
    );
    expect(c).toMatchObject({
      concurrency: 8,
      watchNamespace: "quant",
      leaderElection: true,
      resyncSeconds: 300,
      metricsPort: 8080,
    });
  });

  test("a bad value stops start-up with the flag and variable named", () => {
    expect(() => loadOperatorConfig({ concurrency: "zero" }, {})).toThrow(
      /--concurrency \/ MAIE_OPERATOR_CONCURRENCY/,
    );
    expect(() => loadOperatorConfig({}, { MAIE_OPERATOR_LEADER_ELECTION: "maybe" })).toThrow(
      /--leader-election/,
    );
  });

  test("splitImage handles registries with ports", () => {
    expect(splitImage("ghcr.io/maie/maie:1.2.3")).toEqual({ repository: "ghcr.io/maie/maie", tag: "1.2.3" });
    expect(splitImage("localhost:5000/maie")).toEqual({ repository: "localhost:5000/maie", tag: "latest" });
    expect(splitImage("localhost:5000/maie:1")).toEqual({ repository: "localhost:5000/maie", tag: "1" });
  });

  test("the operator's image may be pinned by digest, with or without a tag", () => {
    const digest = `sha256:${"b".repeat(64)}`;
    const pinned = loadOperatorConfig({}, { MAIE_OPERATOR_IMAGE: `ghcr.io/maie/maie@${digest}` }).image;
    expect(splitImage(pinned)).toEqual({ repository: "ghcr.io/maie/maie", tag: digest });
    const both = loadOperatorConfig({}, { MAIE_OPERATOR_IMAGE: `ghcr.io/maie/maie:1.2.3@${digest}` }).image;
    expect(splitImage(both)).toEqual({ repository: "ghcr.io/maie/maie", tag: `1.2.3@${digest}` });
    expect(loadOperatorConfig({}, { MAIE_OPERATOR_IMAGE: "localhost:5000/maie:1" }).image).toBe(
      "localhost:5000/maie:1",
    );
  });

  test("an image that is not a reference stops start-up", () => {
    for (const bad of ["ghcr.io/maie/maie@sha256:abc", "maie:1:2", "Maie", "maie latest"]) {
      expect(() => loadOperatorConfig({}, { MAIE_OPERATOR_IMAGE: bad })).toThrow(/MAIE_OPERATOR_IMAGE/);
    }
  });
});
