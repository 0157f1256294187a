import type { FetchedModel, ModelFetch } from "../../../src/model-source/fetch.js";
import { UriSource } from "../../../src/scorer/uri-source.js";

/** When a URI model is asked for again: the decision alone, with a counting fetch. */

function countingFetch(): { fetch: ModelFetch; calls: () => number } {
  let calls = 0;
  const model: FetchedModel = { bytes: new Uint8Array([1]), sha256: "a".repeat(64) };
  return {
    fetch: () => {
      calls += 1;
      return Promise.resolve(model);
    },
    calls: () => calls,
  };
}

describe("UriSource", () => {
  test.each([
    ["an object URI without a pin", 3, { uri: "s3://models/alpha.txt" }],
    ["a registry alias, which moves", 3, { uri: "models:/maie-alpha@champion" }],
    ["a pinned digest", 1, { uri: "s3://models/alpha.txt", sha256: "a".repeat(64) }],
    ["a registry version, which never moves", 1, { uri: "models:/maie-alpha/3" }],
  ])("%s: fetched %d time(s) over three polls", async (_what, expected, source) => {
    const counting = countingFetch();
    const uri = new UriSource(source, counting.fetch);
    for (let i = 0; i < 3; i++) await uri.read();
    expect(counting.calls()).toBe(expected);
  });
});
