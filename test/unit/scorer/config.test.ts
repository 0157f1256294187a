import {
  ConfigError,
  ENV_VARS,
  ScorerConfigSchema,
  dataPath,
  loadConfig,
} from "../../../src/scorer/config.js";
import { lastSuccessSeconds, alignFeatures } from "../../../src/scorer/state.js";
import { etagMatches, expectedEtag } from "../../../src/scorer/routes.js";
import { readFile } from "node:fs/promises";

describe("loadConfig", () => {
  test("defaults every optional key", () => {
    const c = loadConfig({ MAIE_DATA_DIR: "/data" });
    expect(c).toMatchObject({
      dataDir: "/data",
      port: 8000,
      modelPath: "models/model.txt",
      modelFormat: "auto",
      readinessRequiresModel: true,
      logLevel: "info",
      bodyLimitBytes: 1048576,
      requestTimeoutMs: 10000,
    });
    expect(c.tokenFile).toBeUndefined();
  });

  test("reads env, and flags override env", () => {
    const c = loadConfig(
      { MAIE_DATA_DIR: "/data", MAIE_SCORER_PORT: "9000", MAIE_READINESS_REQUIRES_MODEL: "false" },
      { port: "9100" },
    );
    expect(c.port).toBe(9100);
    expect(c.readinessRequiresModel).toBe(false);
  });

  test("an empty variable counts as unset", () => {
    expect(loadConfig({ MAIE_DATA_DIR: "/d", MAIE_AUTH_TOKEN_FILE: "" }).tokenFile).toBeUndefined();
  });

  test("bad values fail with every key and its variable named", () => {
    const attempt = () =>
      loadConfig({
        MAIE_SCORER_PORT: "http",
        MAIE_MODEL_FORMAT: "onnx",
        MAIE_READINESS_REQUIRES_MODEL: "maybe",
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/dataDir \(MAIE_DATA_DIR\): required/);
    expect(attempt).toThrow(/port \(MAIE_SCORER_PORT\)/);
    expect(attempt).toThrow(/modelFormat \(MAIE_MODEL_FORMAT\)/);
    expect(attempt).toThrow(/readinessRequiresModel \(MAIE_READINESS_REQUIRES_MODEL\)/);
  });

  test("paths resolve against the data dir unless absolute", () => {
    expect(dataPath({ dataDir: "/data" }, "models/m.txt")).toBe("/data/models/m.txt");
    expect(dataPath({ dataDir: "/data" }, "/etc/m.txt")).toBe("/etc/m.txt");
  });

  test(".env.example documents every variable", async () => {
    const example = await readFile(new URL("../../../../.env.example", import.meta.url), "utf8");
    for (const name of Object.values(ENV_VARS)) expect(example).toContain(name);
    expect(Object.keys(ENV_VARS).sort()).toEqual(Object.keys(ScorerConfigSchema.shape).sort());
  });
});

describe("run summaries", () => {
  test("last success comes from an explicit field or a successful finish time", () => {
    expect(lastSuccessSeconds({ lastSuccess: "2026-11-27T22:30:00Z" })).toBe(
      Date.parse("2026-11-27T22:30:00Z") / 1000,
    );
    expect(lastSuccessSeconds({ ok: true, finishedAt: "2026-11-27T22:30:00Z" })).toBe(1795818600);
    expect(lastSuccessSeconds({ ok: false, finishedAt: "2026-11-27T22:30:00Z" })).toBeNull();
    expect(lastSuccessSeconds({ status: "failed", finishedAt: 1795818600 })).toBeNull();
    expect(lastSuccessSeconds({ status: "success", finishedAt: 1795818600000 })).toBe(1795818600);
    expect(lastSuccessSeconds("nope")).toBeNull();
  });
});

describe("helpers", () => {
  test("alignFeatures maps model order to source columns or names what is missing", () => {
    expect(Array.from(alignFeatures(["b", "a"], ["a", "b", "c"]).columns)).toEqual([1, 0]);
    expect(alignFeatures(["a", "z"], ["a"]).missing).toEqual(["z"]);
  });

  test("ETags differ by selection and match weakly", () => {
    const all = expectedEtag("abc", null);
    expect(expectedEtag("abc", ["A"])).not.toBe(all);
    expect(etagMatches(`W/${all}`, all)).toBe(true);
    expect(etagMatches("*", all)).toBe(true);
    expect(etagMatches('"other"', all)).toBe(false);
    expect(etagMatches(undefined, all)).toBe(false);
  });
});
