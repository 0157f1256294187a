import { desiredFingerprint, VerifiedChildren } from "../../../src/operator/verified-children.js";

const ctx = { capabilities: { prometheusOperator: true }, defaultImage: { repository: "r", tag: "1" } };
const resource = { metadata: { uid: "u1", name: "alpha" }, spec: { replicas: 2 } };
const children = [
  { kind: "Service", name: "alpha", resourceVersion: "10" },
  { kind: "Deployment", name: "alpha", resourceVersion: "11" },
];
const at =
  (versions: Record<string, string>) =>
  (kind: string): string | undefined =>
    versions[kind];

describe("VerifiedChildren", () => {
  test("answers the recorded children while the fingerprint and every version are unchanged", () => {
    const v = new VerifiedChildren();
    v.record("ns/alpha", "f1", children);
    expect(v.unchanged("ns/alpha", "f1", at({ Service: "10", Deployment: "11" }))).toEqual(children);
  });

  test("a child at another version, or gone from the cache, means compare again", () => {
    const v = new VerifiedChildren();
    v.record("ns/alpha", "f1", children);
    expect(v.unchanged("ns/alpha", "f1", at({ Service: "10", Deployment: "12" }))).toBeUndefined();
    expect(v.unchanged("ns/alpha", "f1", at({ Service: "10" }))).toBeUndefined();
  });

  test("another fingerprint, another resource, or a forgotten one means compare again", () => {
    const v = new VerifiedChildren();
    v.record("ns/alpha", "f1", children);
    const same = at({ Service: "10", Deployment: "11" });
    expect(v.unchanged("ns/alpha", "f2", same)).toBeUndefined();
    expect(v.unchanged("ns/beta", "f1", same)).toBeUndefined();
    v.forget("ns/alpha");
    expect(v.unchanged("ns/alpha", "f1", same)).toBeUndefined();
    expect(v.size).toBe(0);
  });
});

describe("desiredFingerprint", () => {
  test("follows the spec, the resource's identity and the context, not its status", () => {
    const f = desiredFingerprint(resource, ctx);
    expect(desiredFingerprint({ ...resource, status: { phase: "x" } } as typeof resource, ctx)).toBe(f);
    expect(desiredFingerprint({ ...resource, spec: { replicas: 3 } }, ctx)).not.toBe(f);
    expect(desiredFingerprint({ ...resource, metadata: { uid: "u2", name: "alpha" } }, ctx)).not.toBe(f);
    expect(desiredFingerprint(resource, { ...ctx, capabilities: { prometheusOperator: false } })).not.toBe(f);
    expect(desiredFingerprint(resource, { ...ctx, defaultImage: { repository: "r", tag: "2" } })).not.toBe(f);
  });
});
