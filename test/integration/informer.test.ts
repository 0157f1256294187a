import { pino } from "pino";
import { Informer } from "../../src/controller/informer.js";
import type { KubeObject } from "../../src/kube/object.js";
import type { RestClient } from "../../src/kube/rest.js";
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
