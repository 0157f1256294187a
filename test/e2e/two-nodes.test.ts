import { eventually } from "../harness/operator.js";
import { E2E_NODES, ensureOperator, k } from "../harness/e2e.js";
import { rm } from "node:fs/promises";

/**
 * The default resource on a cluster of two nodes whose volumes are not
 * pinned to a node (as zonal cloud disks are not: EBS, PD and Azure Disk
 * attach to any node of the zone, one node at a time). The scorer replicas,
 * the pipeline Job and the backup Job share a ReadWriteOnce data volume, so
 * all of them must land on one node, or the ones elsewhere wait forever on
 * Multi-Attach. The harness's own `local` volumes would hide the question
 * (their node affinity pins every sharer), so this test makes volumes
 * without one.
 */

const ns = "placement";
const cr = "spread";
const storageClass = "maie-e2e-unpinned";

function hostPathVolume(name: string, path: string): object {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "100Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: storageClass,
      // No nodeAffinity: any node may mount it, as with a zonal disk.
      hostPath: { path, type: "DirectoryOrCreate" },
    },
  };
}

interface PodList {
  items: { metadata: { name: string; labels?: Record<string, string> }; spec: { nodeName?: string } }[];
}

async function podsOf(selector: string): Promise<PodList["items"]> {
  return (JSON.parse(await k(["-n", ns, "get", "pods", "-l", selector, "-o", "json"])) as PodList).items;
}

describe(`the default resource on ${E2E_NODES} nodes`, () => {
  beforeAll(async () => {
    await ensureOperator();
    await k(["create", "namespace", ns]);
    const objects = {
      apiVersion: "v1",
      kind: "List",
      items: [
        {
          apiVersion: "storage.k8s.io/v1",
          kind: "StorageClass",
          metadata: { name: storageClass },
          provisioner: "kubernetes.io/no-provisioner",
          volumeBindingMode: "Immediate",
        },
        hostPathVolume(`${cr}-e2e-data`, `/tmp/maie-e2e-${cr}-data`),
        hostPathVolume(`${cr}-e2e-backups`, `/tmp/maie-e2e-${cr}-backups`),
      ],
    };
    await k(["apply", "-f", "-"], JSON.stringify(objects));
  });

  afterAll(async () => {
    await k(["delete", "namespace", ns, "--wait=false"]).catch(() => undefined);
    for (const v of ["data", "backups"])
      await rm(`/tmp/maie-e2e-${cr}-${v}`, { recursive: true, force: true });
  });

  test("scorer replicas and the Jobs that share the ReadWriteOnce data volume are placed on one node", async () => {
    const resource = {
      apiVersion: "maie.io/v1alpha1",
      kind: "MaieDeployment",
      metadata: { name: cr, namespace: ns },
      spec: {
        replicas: 4,
        storage: { data: { storageClassName: storageClass }, backups: { storageClassName: storageClass } },
      },
    };
    await k(["apply", "--server-side", "-f", "-"], JSON.stringify(resource));
    const scorers = await eventually(
      async () => {
        const pods = await podsOf(`app.kubernetes.io/instance=${cr},app.kubernetes.io/component=scorer`);
        return pods.length === 4 && pods.every((p) => p.spec.nodeName !== undefined) ? pods : undefined;
      },
      180_000,
      "four scheduled scorer pods",
    );
    const nodes = new Set(scorers.map((p) => p.spec.nodeName));
    expect(nodes.size).toBe(1);

    for (const cronjob of ["pipeline", "backup"]) {
      await k(["-n", ns, "create", "job", `--from=cronjob/${cr}-${cronjob}`, `${cr}-${cronjob}-placed`]);
      const [jobPod] = await eventually(
        async () => {
          const pods = await podsOf(`job-name=${cr}-${cronjob}-placed`);
          return pods.length > 0 && pods[0]!.spec.nodeName !== undefined ? pods : undefined;
        },
        120_000,
        `the ${cronjob} Job's pod scheduled`,
      );
      expect(jobPod!.spec.nodeName).toBe([...nodes][0]);
    }
    process.stderr.write(
      `two nodes, unpinned RWO volume: 4 scorer pods + pipeline and backup Job pods all on ${[...nodes][0]}\n`,
    );
  });
});
