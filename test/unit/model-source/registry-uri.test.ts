import {
  isPinnedRegistryRef,
  parseRegistryUri,
  registryVersionRef,
} from "../../../src/model-source/registry-uri.js";
import { MODEL_URI_PATTERN } from "../../../src/model-source/source.js";

describe("models:/ URIs", () => {
  test("an alias is followed, a version is pinned", () => {
    expect(parseRegistryUri("models:/maie-alpha@champion")).toEqual({
      name: "maie-alpha",
      alias: "champion",
    });
    expect(parseRegistryUri("models:/maie.alpha_2/12")).toEqual({ name: "maie.alpha_2", version: "12" });
    expect(isPinnedRegistryRef({ name: "m", version: "3" })).toBe(true);
    expect(isPinnedRegistryRef({ name: "m", alias: "champion" })).toBe(false);
  });

  test.each([
    ["a deprecated stage", "models:/maie-alpha/Production"],
    ["version 0", "models:/maie-alpha/0"],
    ["no name", "models:/@champion"],
    ["a nested path", "models:/team/maie-alpha@champion"],
    ["runs:/ (not a registered model)", "runs:/abc/model"],
    ["a space in the name", "models:/maie alpha@champion"],
    ["an alias starting with a digit", "models:/maie-alpha@1st"],
  ])("refuses %s", (_what, uri) => {
    expect(parseRegistryUri(uri)).toBeUndefined();
    expect(MODEL_URI_PATTERN.test(uri)).toBe(false);
  });

  test("the scorer's URI pattern takes exactly what the parser takes", () => {
    for (const uri of [
      "models:/maie-alpha@champion",
      "models:/maie-alpha/7",
      "s3://b/k.txt",
      "https://h/m.txt",
    ])
      expect(MODEL_URI_PATTERN.test(uri)).toBe(true);
  });

  test("the printer column's text: name@alias→vN following an alias, name/vN pinned", () => {
    expect(registryVersionRef({ name: "maie-alpha", alias: "champion", version: "2", runId: "r" })).toBe(
      "maie-alpha@champion→v2",
    );
    expect(registryVersionRef({ name: "maie-alpha", version: "3" })).toBe("maie-alpha/v3");
  });
});
