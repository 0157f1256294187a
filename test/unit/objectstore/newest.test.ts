import fc from "fast-check";
import { pickNewest, type ListedObject } from "../../../src/objectstore/newest.js";

const at = (key: string, seconds: number): ListedObject => ({
  key,
  size: 1,
  etag: `"${key}"`,
  lastModified: new Date(seconds * 1000),
});

describe("the newest object under a prefix", () => {
  test("latest LastModified wins", () => {
    expect(pickNewest([at("p/a.csv", 3), at("p/b.csv", 5), at("p/c.csv", 4)], [])?.key).toBe("p/b.csv");
  });

  test("only the wanted suffixes count", () => {
    const objects = [at("p/a.csv", 1), at("p/b.parquet", 2), at("p/c.json", 9)];
    expect(pickNewest(objects, [".csv", ".parquet"])?.key).toBe("p/b.parquet");
    expect(pickNewest(objects, [".txt"])).toBeUndefined();
    expect(pickNewest<ListedObject>([], [])).toBeUndefined();
  });

  test("folder markers are not objects", () => {
    expect(pickNewest([at("p/a.csv", 1), at("p/sub/", 5)], [])?.key).toBe("p/a.csv");
  });

  test("ties go to the greatest key, whatever the listing order", () => {
    const objects = [
      at("p/prices-2026-11-27.csv", 7),
      at("p/prices-2026-11-28.csv", 7),
      at("p/prices-2026-11-26.csv", 7),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(objects, { minLength: 3, maxLength: 3 }), (order) => {
        expect(pickNewest(order, [])?.key).toBe("p/prices-2026-11-28.csv");
      }),
    );
  });
});
