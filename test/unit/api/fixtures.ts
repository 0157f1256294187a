import { parseMaieDeployment } from "../../../src/api/parse.js";
import type { MaieDeployment } from "../../../src/api/resource.js";

/** A parsed resource with every default applied, for builder tests. */
export function sampleResource(spec: unknown = {}, name = "alpha", namespace = "research"): MaieDeployment {
  const parsed = parseMaieDeployment({
    apiVersion: "maie.io/v1alpha1",
    kind: "MaieDeployment",
    metadata: { name, namespace, uid: "00000000-0000-4000-8000-000000000001", generation: 1 },
    spec,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}
