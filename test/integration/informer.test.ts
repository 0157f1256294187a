import { pino } from "pino";
import { Informer } from "../../src/controller/informer.js";
import type { KubeObject } from "../../src/kube/object.js";
import { APPLY_PATCH, MERGE_PATCH, type RestClient } from "../../src/kube/rest.js";
import { FIELD_MANAGER } from "../../src/api/group.js";
import { INSTANCE_LABEL } from "../../src/desired/meta.js";
import { childIndexKey, resourceIndexKey } from "../../src/operator/child-index.js";
import { sha256Of } from "../../src/desired/plain.js";
import { DESIRED_HASH_ANNOTATION, inSyncByMetadata, leanObject } from "../../src/operator/lean-cache.js";
import { RESOURCE_TYPES, resourcePath } from "../../src/kube/resources.js";
import { createNamespace, startPrivateCluster, type TestCluster } from "../harness/cluster.js";
import { eventually } from "../harness/operator.js";

/** The informer's watch resilience against a real kube-apiserver (and its etcd, compacted on purpose). */

let cluster: TestCluster;
let client: RestClient;
let ns: string;
let informer: Informer;
const seen: string[] = [];

beforeAll(async () => {
  cluster = await startPrivateCluster({ controllerManager: false, watchCache: false });
  client = cluster.client;
  ns = await createNamespace(client, "informer");
  informer = new Informer({
    client,
    type: RESOURCE_TYPES.ConfigMap,
    namespace: ns,
    logger: pino({ level: "silent" }),
    idleTimeoutMs: 3000,
    watchTimeoutSeconds: 60,
  });
  informer.on((event, obj) => seen.push(`${event}:${obj.metadata.name}`));
  informer.start();
  await informer.waitForSync();
});

afterAll(async () => {
  await informer.stop();
  await cluster.stop();
});

async function createConfigMap(name: string) {
  await client.request("POST", resourcePath(RESOURCE_TYPES.ConfigMap, ns), {
    body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: "v" } },
  });
}

describe("Informer on a real apiserver", () => {
  test("delivers adds and deletes from the watch", async () => {
    await createConfigMap("one");
    await eventually(async () => informer.get(ns, "one") !== undefined, 10_000, "add");
    await client.request("DELETE", resourcePath(RESOURCE_TYPES.ConfigMap, ns, "one"));
    await eventually(
      async () => informer.get(ns, "one") === undefined && seen.includes("delete:one"),
      10_000,
      "delete",
    );
  });

  test("a resourceVersion too old for the apiserver (410 Gone) leads to a relist, and missed changes are still delivered", async () => {
    const relists = informer.stats.relistsOnGone;
    await createConfigMap("two");
    await cluster.controlPlane.compactEtcd();
    informer.resumeFrom("1");
    await eventually(async () => informer.stats.relistsOnGone > relists, 15_000, "relist after 410");
    await eventually(
      async () => informer.get(ns, "two") !== undefined,
      10_000,
      "object present after relist",
    );
    await createConfigMap("three");
    await eventually(async () => informer.get(ns, "three") !== undefined, 10_000, "watch works after relist");
  });

  test("an idle watch is cut by the watchdog and resumed; nothing is lost", async () => {
    const watches = informer.stats.watches;
    // No events for longer than the 3 s idle timeout: the watchdog restarts the watch.
    await new Promise((r) => setTimeout(r, 4500));
    expect(informer.stats.watches).toBeGreaterThan(watches);
    await createConfigMap("four");
    await eventually(
      async () => informer.get(ns, "four") !== undefined,
      10_000,
      "event after watchdog restart",
    );
    const names = informer
      .list(ns)
      .map((o: KubeObject) => o.metadata.name)
      .sort();
    expect(names).toEqual(expect.arrayContaining(["two", "three", "four"]));
  });
});

describe("the operator's lean, indexed cache on a real apiserver", () => {
  const labelled = (name: string, instance: string, data: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      labels: { [INSTANCE_LABEL]: instance, kind: "lean" },
      annotations: { [DESIRED_HASH_ANNOTATION]: sha256Of(data).slice(0, 16) },
    },
    data,
  });
  const apply = (body: ReturnType<typeof labelled>) =>
    client.request("PATCH", resourcePath(RESOURCE_TYPES.ConfigMap, ns, body.metadata.name), {
      body,
      contentType: APPLY_PATCH,
      query: { fieldManager: FIELD_MANAGER, force: true },
    });
  const names = (cache: Informer, instance: string) =>
    cache
      .indexed(resourceIndexKey(ns, instance))
      .map((o) => o.metadata.name)
      .sort();

  test("children are found by their resource through the index as labels change; content is never sent or held", async () => {
    const lean = new Informer({
      client,
      type: RESOURCE_TYPES.ConfigMap,
      namespace: ns,
      labelSelector: "kind=lean",
      indexKey: childIndexKey,
      metadataOnly: true,
      transform: leanObject,
      logger: pino({ level: "silent" }),
    });
    lean.start();
    try {
      await lean.waitForSync();
      const big = { "dashboard.json": "x".repeat(50_000) };
      await apply(labelled("a1", "a", big));
      await apply(labelled("a2", "a", { k: "v" }));
      await apply(labelled("b1", "b", { k: "v" }));
      await eventually(
        async () => names(lean, "a").length === 2 && names(lean, "b").length === 1,
        10_000,
        "index",
      );
      expect(names(lean, "a")).toEqual(["a1", "a2"]);

      const cached = lean.get(ns, "a1");
      expect(cached?.["data"]).toBeUndefined();
      expect(cached?.metadata.managedFields).toEqual([{ manager: FIELD_MANAGER, operation: "Apply" }]);
      expect(JSON.stringify(cached).length).toBeLessThan(1_000);
      // What the applier decides from: our hash, and nobody else's writes.
      expect(inSyncByMetadata(labelled("a1", "a", big), cached!)).toBe(true);
      expect(inSyncByMetadata(labelled("a1", "a", { k: "new" }), cached!)).toBe(false);
      const rv = cached?.metadata.resourceVersion;
      await client.request("PATCH", resourcePath(RESOURCE_TYPES.ConfigMap, ns, "a1"), {
        body: { data: { "dashboard.json": "edited by hand" } },
        contentType: MERGE_PATCH,
        query: { fieldManager: "kubectl-edit" },
      });
      await eventually(async () => lean.get(ns, "a1")?.metadata.resourceVersion !== rv, 10_000, "edit seen");
      expect(inSyncByMetadata(labelled("a1", "a", big), lean.get(ns, "a1")!)).toBe(false);

      await apply(labelled("a2", "b", { k: "v" }));
      await eventually(async () => names(lean, "b").length === 2, 10_000, "relabel moves the entry");
      expect(names(lean, "a")).toEqual(["a1"]);
      await client.request("DELETE", resourcePath(RESOURCE_TYPES.ConfigMap, ns, "a1"));
      await eventually(async () => names(lean, "a").length === 0, 10_000, "delete leaves the index");
      expect(names(lean, "b")).toEqual(["a2", "b1"]);
    } finally {
      await lean.stop();
    }
  });
});
