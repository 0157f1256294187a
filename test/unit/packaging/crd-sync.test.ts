import { readFileSync } from "node:fs";
import { CRD_FILE } from "../../../src/api/group.js";

/**
 * kustomize cannot reference files outside a kustomization's root and a Helm
 * chart ships its own crds/ folder, so both hold a copy of the generated CRD.
 * The copies must be byte-identical to crds/ (refresh: tools/sync-crd.sh).
 */
const COPIES = [
  "config/crd/bases/maie.io_maiedeployments.yaml",
  "config/helm/maie-operator/crds/maie.io_maiedeployments.yaml",
];

describe("packaged CRD copies", () => {
  const generated = readFileSync(CRD_FILE, "utf8");

  test.each(COPIES)("%s equals the generated CRD (run tools/sync-crd.sh when this fails)", (copy) => {
    const text = readFileSync(copy, "utf8");
    if (text !== generated)
      throw new Error(`${copy} differs from ${CRD_FILE}: run tools/sync-crd.sh after npm run generate`);
    expect(text).toBe(generated);
  });

  test("config/crd/kustomization.yaml lists the copy", () => {
    expect(readFileSync("config/crd/kustomization.yaml", "utf8")).toMatch(
      /^ {2}- bases\/maie\.io_maiedeployments\.yaml$/m,
    );
  });
});
