import { joinImage, parseImageRef, splitImageRef } from "../../../src/util/image-ref.js";

const D = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("image references", () => {
  test.each([
    ["maie", { name: "maie" }],
    ["ghcr.io/maie/maie:1.2.3", { name: "ghcr.io/maie/maie", tag: "1.2.3" }],
    ["localhost:5000/maie", { name: "localhost:5000/maie" }],
    ["localhost:5000/maie:v1_rc.2-x", { name: "localhost:5000/maie", tag: "v1_rc.2-x" }],
    [`ghcr.io/maie/maie@${D}`, { name: "ghcr.io/maie/maie", digest: D }],
    [`localhost:5000/maie:1.2.3@${D}`, { name: "localhost:5000/maie", tag: "1.2.3", digest: D }],
    ["[::1]:5000/a/b_c__d-e:1", { name: "[::1]:5000/a/b_c__d-e", tag: "1" }],
  ])("%s parses", (image, ref) => {
    expect(parseImageRef(image)).toEqual(ref);
  });

  test.each([
    "",
    "Maie/UPPER:1",
    "maie:",
    "maie:1:2",
    "maie@sha256:abc",
    `maie@sha512:${"a".repeat(128)}`,
    `maie@${D.toUpperCase()}`,
    `maie@${D}@${D}`,
    "maie:.bad",
    `maie:${"t".repeat(129)}`,
    "maie latest",
    "/maie",
    "maie/",
  ])("%j is refused", (image) => {
    expect(parseImageRef(image)).toBeUndefined();
  });

  test("split and join are inverses: a tag, a digest, or both in the suffix", () => {
    for (const image of ["r.example.com/m:9", `r.example.com/m@${D}`, `localhost:5000/m:9@${D}`]) {
      const { repository, tag } = splitImageRef(image);
      expect(joinImage(repository, tag)).toBe(image);
    }
    expect(splitImageRef(`r/m@${D}`)).toEqual({ repository: "r/m", tag: D });
    expect(splitImageRef(`r/m:9@${D}`)).toEqual({ repository: "r/m", tag: `9@${D}` });
    expect(splitImageRef("localhost:5000/m")).toEqual({ repository: "localhost:5000/m", tag: "latest" });
    expect(() => splitImageRef("m@sha256:short")).toThrow(/not an image reference/);
  });
});
