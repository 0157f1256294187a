import { ENV_VARS } from "../../../src/scorer/config.js";
import { SCORER_ENV } from "../../../src/desired/env-names.js";
import { mergeEnv, resourceRequirements } from "../../../src/desired/pod.js";

describe("mergeEnv", () => {
  test("keeps our order, replaces ours in place by name and appends new names", () => {
    expect(
      mergeEnv(
        [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
        [
          { name: "B", value: "two" },
          { name: "C", value: "3" },
        ],
      ),
    ).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "two" },
      { name: "C", value: "3" },
    ]);
  });

  test("a name repeated by the user ends up once, with the last value", () => {
    const merged = mergeEnv(
      [],
      [
        { name: "X", value: "1" },
        { name: "X", value: "2" },
      ],
    );
    expect(merged).toEqual([{ name: "X", value: "2" }]);
  });
});

describe("resourceRequirements", () => {
  test("serialises quantities as strings and leaves out empty sections", () => {
    expect(resourceRequirements({ requests: { cpu: 1, memory: "1Gi" }, limits: {} })).toEqual({
      requests: { cpu: "1", memory: "1Gi" },
      limits: undefined,
    });
    expect(resourceRequirements(undefined)).toBeUndefined();
  });
});

describe("the scorer's environment contract", () => {
  test("every variable the Deployment sets is the one src/scorer/config.ts reads for that setting", () => {
    for (const [key, name] of Object.entries(SCORER_ENV)) {
      expect([key, name]).toEqual([key, ENV_VARS[key as keyof typeof ENV_VARS]]);
    }
  });
});
