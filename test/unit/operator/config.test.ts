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
  });
});
