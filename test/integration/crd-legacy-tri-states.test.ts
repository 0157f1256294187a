import { CRD_FILE } from "../../src/api/group.js";
import { LEGACY_TRI_STATES, TRI_STATE_PATHS } from "../../src/api/tri-state.js";
import type { KubeObject } from "../../src/kube/object.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { installCrds, readYamlObjects } from "../../tools/cluster/install-crds.js";
import { createNamespace, kubectl, startPrivateCluster, type TestCluster } from "../harness/cluster.js";
import { eventually, startTestOperator, type TestOperator } from "../harness/operator.js";

/**
 * The tri-state rename on a real apiserver: an object stored under the old
 * CRD (strings "auto"/"true"/"false") keeps working under the new one, and
 * only new writes of the old strings are refused (docs/crd-reference.md,
 * "Converting from the string values").
 */

let cluster: TestCluster;
let operator: TestOperator | undefined;
let ns: string;

type Schema = { [key: string]: unknown };

/** The CRD as it was before the rename: each tri-state's enum also takes the old strings. */
function withLegacyEnums(crd: KubeObject): KubeObject {
  const copy = structuredClone(crd) as KubeObject & {
    spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
  };
  for (const version of copy.spec.versions) {
    const spec = (version.schema.openAPIV3Schema["properties"] as Record<string, Schema>)["spec"];
    for (const path of TRI_STATE_PATHS) {
      let node = spec as Schema;
      for (const key of path) node = (node["properties"] as Record<string, Schema>)[key] as Schema;
      node["enum"] = [...(node["enum"] as string[]), ...Object.keys(LEGACY_TRI_STATES)];
    }
  }
  return copy;
}

function manifest(name: string, enabled: string, replicas: number): string {
  return JSON.stringify({
    apiVersion: "maie.io/v1alpha1",
    kind: "MaieDeployment",
    metadata: { name, namespace: ns },
    spec: { replicas, podDisruptionBudget: { enabled } },
  });
}

beforeAll(async () => {
  cluster = await startPrivateCluster({ controllerManager: false });
  ns = await createNamespace(cluster.client, "legacy");
  const [current] = await readYamlObjects(CRD_FILE);
  if (current === undefined) throw new Error(`no CRD in ${CRD_FILE}`);
  await installCrds(cluster.client, [withLegacyEnums(current)]);
  // The old CRD served: store an object in the old spelling ("true" on one replica: a PDB only if read as Enabled).
  await eventually(async () => {
    const out = await kubectl(cluster.kubeconfigPath, ["create", "-f", "-"], manifest("old", "true", 1));
    return out.code === 0 || out.stderr.includes("AlreadyExists");
  });
  await installCrds(cluster.client, [current]);
  // The new CRD takes effect a moment after the update: wait until it refuses the old spelling.
  await eventually(async () => {
    const out = await kubectl(
      cluster.kubeconfigPath,
      ["create", "--dry-run=server", "-f", "-"],
      manifest("probe", "true", 1),
    );
    return out.code !== 0;
  });
  operator = await startTestOperator(cluster.kubeconfigPath, ns, { resyncSeconds: "5" });
}, 120_000);

afterAll(async () => {
  await operator?.handle.stop();
  await cluster.stop();
});

describe("objects stored with the old tri-state strings", () => {
  test("a new write of an old string is refused with the new values named", async () => {
    const out = await kubectl(cluster.kubeconfigPath, ["create", "-f", "-"], manifest("fresh", "false", 1));
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(
      /spec\.podDisruptionBudget\.enabled: Unsupported value: "false": supported values: "Auto", "Enabled", "Disabled"/,
    );
  });

  test('the operator reads the stored "true" as Enabled (a PDB on one replica) and says what to write, once', async () => {
    const pdb = await eventually(
      () =>
        cluster.client
          .request<KubeObject>("GET", resourcePath(RESOURCE_TYPES.PodDisruptionBudget, ns, "old"))
          .catch(() => undefined),
      30_000,
      "the PodDisruptionBudget of the legacy object",
    );
    expect(pdb.metadata.name).toBe("old");
    await eventually(async () => (await deprecatedEvents()).length > 0);
    // A resync later (every 5 s), still one: the note is news once per generation.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const events = await deprecatedEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "Warning",
      note: 'spec.podDisruptionBudget.enabled: "true" is the old spelling; write Enabled',
    });
  });

  test("the stored object can still be updated without touching the field (CRD validation ratcheting)", async () => {
    const out = await kubectl(cluster.kubeconfigPath, [
      "-n",
      ns,
      "patch",
      "maie",
      "old",
      "--type",
      "merge",
      "-p",
      '{"spec":{"replicas":2}}',
    ]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    // A new generation that still holds the old string is told again.
    await eventually(async () => (await deprecatedEvents()).length === 2);
  });
});

async function deprecatedEvents(): Promise<{ type: string; note: string }[]> {
  const list = await cluster.client.request<{ items: { reason: string; note: string; type: string }[] }>(
    "GET",
    resourcePath(RESOURCE_TYPES.Event, ns),
  );
  return list.items.filter((e) => e.reason === "DeprecatedValue");
}
