import { InvalidSpecError } from "../../../src/desired/errors.js";
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
  test("writes quantities as the apiserver stores them and leaves out empty sections", () => {
    expect(resourceRequirements({ requests: { cpu: 1, memory: "1024Mi" }, limits: {} }, "spec.x")).toEqual({
      requests: { cpu: "1", memory: "1Gi" },
      limits: undefined,
    });
    expect(resourceRequirements({ limits: { cpu: 0.5 } }, "spec.x")).toEqual({
      requests: undefined,
      limits: { cpu: "500m" },
    });
    expect(resourceRequirements(undefined, "spec.x")).toBeUndefined();
  });

  test("a value Kubernetes cannot parse is refused, naming the field", () => {
    expect(() => resourceRequirements({ requests: { cpu: "5K" } }, "spec.scorer.resources")).toThrow(
      InvalidSpecError,
    );
    expect(() => resourceRequirements({ requests: { cpu: "5K" } }, "spec.scorer.resources")).toThrow(
      /^spec\.scorer\.resources\.requests\.cpu: "5K" is not a Kubernetes quantity/,
    );
  });
});
