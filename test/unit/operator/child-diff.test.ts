import fc from "fast-check";
import { isSubset, sameObject } from "../../../src/operator/child-diff.js";

describe("isSubset (would an apply change the live object?)", () => {
  test("fields added by defaulting or by other managers do not count as a difference", () => {
    const desired = {
      spec: { replicas: 2, template: { spec: { containers: [{ name: "scorer", image: "x" }] } } },
    };
    const live = {
      spec: {
        replicas: 2,
        revisionHistoryLimit: 10,
        template: {
          spec: {
            containers: [{ name: "scorer", image: "x", terminationMessagePath: "/dev/termination-log" }],
            dnsPolicy: "ClusterFirst",
          },
        },
      },
    };
    expect(isSubset(desired, live)).toBe(true);
  });

  test("a changed or removed field we set is a difference", () => {
    expect(isSubset({ spec: { replicas: 2 } }, { spec: { replicas: 3 } })).toBe(false);
    expect(isSubset({ metadata: { labels: { a: "1" } } }, { metadata: { labels: {} } })).toBe(false);
    expect(isSubset({ spec: { ports: [{ name: "http" }] } }, { spec: { ports: [] } })).toBe(false);
  });

  test("an empty map or list we send matches an absent field", () => {
    expect(isSubset({ metadata: { annotations: {} }, spec: { env: [] } }, { metadata: {}, spec: {} })).toBe(
      true,
    );
  });

  test("lists must keep their length (an extra element another manager added is checked by a dry run instead)", () => {
    expect(isSubset({ l: [1, 2] }, { l: [1, 2, 3] })).toBe(false);
  });

  test("any JSON value is a subset of itself", () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => isSubset(v, v)));
  });
});

describe("sameObject", () => {
  test("ignores resourceVersion and managedFields only", () => {
    expect(
      sameObject(
        { metadata: { resourceVersion: "1", managedFields: [1] }, spec: { a: 1 } },
        { metadata: { resourceVersion: "2" }, spec: { a: 1 } },
      ),
    ).toBe(true);
    expect(sameObject({ metadata: {}, spec: { a: 1 } }, { metadata: {}, spec: { a: 2 } })).toBe(false);
  });

  test("does not depend on key order", () => {
    expect(
      sameObject({ metadata: {}, b: 1, a: { d: 2, c: 3 } }, { a: { c: 3, d: 2 }, b: 1, metadata: {} }),
    ).toBe(true);
  });
});
