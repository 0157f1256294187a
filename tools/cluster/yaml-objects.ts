import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../src/kube/object.js";

/** The objects of a multi-document YAML text (manifests, helm or kustomize output); empty documents are dropped. */
export function parseYamlObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}
