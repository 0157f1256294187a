import { OBJECT_STORE_ENV } from "../../../src/contract/env.js";
import {
  parseObjectStoreEnv,
  requireObjectStoreEnv,
  endpointLabel,
} from "../../../src/objectstore/config.js";
import { ObjectStoreError } from "../../../src/objectstore/errors.js";

const E = OBJECT_STORE_ENV;
const base = { [E.bucket]: "models" };

function refused(env: Record<string, string>): string {
  try {
    parseObjectStoreEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as ObjectStoreError).kind).toBe("config");
    expect((err as ObjectStoreError).retryable).toBe(false);
    return (err as Error).message;
  }
  throw new Error("expected the environment to be refused");
}

describe("object store settings from the environment", () => {
  test("no bucket, no store", () => {
    expect(parseObjectStoreEnv({})).toBeUndefined();
    expect(parseObjectStoreEnv({ [E.bucket]: "" })).toBeUndefined();
  });

  test("defaults: AWS in us-east-1, virtual-hosted style, no prefix, the SDK's credential chain", () => {
    const config = parseObjectStoreEnv(base);
    expect(config).toEqual({
      bucket: "models",
      prefix: "",
      region: "us-east-1",
      pathStyle: false,
      credentials: { kind: "default-chain" },
    });
    expect(endpointLabel(config!)).toBe("AWS S3 (us-east-1)");
  });

  test("every setting read, the endpoint and prefix normalized", () => {
    expect(
      parseObjectStoreEnv({
        [E.bucket]: "models",
        [E.endpoint]: "http://minio.storage:9000/",
        [E.prefix]: "/teams/alpha",
        [E.region]: "eu-west-1",
        [E.pathStyle]: "true",
        [E.caBundle]: "/etc/maie/ca.pem",
        [E.accessKeyId]: "AKIA1",
        [E.secretAccessKey]: "s3cr3t",
        [E.sessionToken]: "tok",
      }),
    ).toEqual({
      endpoint: "http://minio.storage:9000",
      bucket: "models",
      prefix: "teams/alpha/",
      region: "eu-west-1",
      pathStyle: true,
      caBundlePath: "/etc/maie/ca.pem",
      credentials: { kind: "static", accessKeyId: "AKIA1", secretAccessKey: "s3cr3t", sessionToken: "tok" },
    });
  });

  test.each([
    [{ [E.bucket]: "Models" }, E.bucket, "bucket name"],
    [{ ...base, [E.endpoint]: "minio:9000" }, E.endpoint, "http:// or https://"],
    [{ ...base, [E.endpoint]: "ftp://minio" }, E.endpoint, "http:// or https://"],
    [{ ...base, [E.endpoint]: "https://s3.example.com/bucket" }, E.endpoint, "no path"],
    [{ ...base, [E.endpoint]: "https://user:pw@s3.example.com" }, E.endpoint, E.accessKeyId],
    [{ ...base, [E.region]: "EU West" }, E.region, "us-east-1"],
    [{ ...base, [E.pathStyle]: "yes" }, E.pathStyle, "true or false"],
    [{ ...base, [E.prefix]: "a/../b" }, E.prefix, "'..'"],
    [{ ...base, [E.caBundle]: "ca.pem" }, E.caBundle, "absolute"],
    [{ ...base, [E.accessKeyId]: "AKIA1" }, E.secretAccessKey, "needs both keys"],
    [{ ...base, [E.secretAccessKey]: "s" }, E.accessKeyId, "needs both keys"],
    [{ [E.endpoint]: "http://minio:9000" }, E.bucket, "set the bucket too"],
  ])("%j is refused naming %s", (env, name, why) => {
    const message = refused(env);
    expect(message.startsWith(name)).toBe(true);
    expect(message).toContain(why);
  });

  test("a process that needs the store says so when it is not configured", () => {
    expect(() => requireObjectStoreEnv({}, "the model s3://m/x")).toThrow(
      `${E.bucket} is not set, but the model s3://m/x needs the object store: set spec.objectStore`,
    );
    expect(requireObjectStoreEnv(base, "x").bucket).toBe("models");
  });
});
