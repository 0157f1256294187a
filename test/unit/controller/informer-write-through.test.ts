import { pino } from "pino";
import { Informer } from "../../../src/controller/informer.js";
import type { KubeObject } from "../../../src/kube/object.js";
import type { KubeClient } from "../../../src/kube/rest.js";
import { RESOURCE_TYPES } from "../../../src/kube/resources.js";

/**
 * Read-your-writes in the informer's store: the decision of which object
 * wins, with a client that lists one object and then holds the watch open
 * without events (the watch's own delivery is tested on a real apiserver in
 * test/integration/informer.test.ts).
 */

function configMap(resourceVersion: string, value: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cm", namespace: "ns", resourceVersion },
    data: { k: value },
  };
}

function listOnce(items: KubeObject[]): KubeClient {
  return {
    request: <T>() => Promise.resolve({ metadata: { resourceVersion: "10" }, items } as T),
    watch: (_path, _query, _handlers, signal) =>
      new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
  };
}

async function startedInformer(items: KubeObject[]): Promise<Informer> {
  const informer = new Informer({
    client: listOnce(items),
    type: RESOURCE_TYPES.ConfigMap,
    namespace: "ns",
    logger: pino({ level: "silent" }),
  });
  informer.start();
  await informer.waitForSync();
  return informer;
}

describe("Informer.recordWrite", () => {
  let informer: Informer | undefined;
  afterEach(async () => {
    await informer?.stop();
  });

  test("a write based on the cached version replaces it at once, before any watch event", async () => {
    informer = await startedInformer([configMap("5", "old")]);
    informer.recordWrite(configMap("6", "new"), "5");
    expect(informer.get("ns", "cm")).toMatchObject({
      metadata: { resourceVersion: "6" },
      data: { k: "new" },
    });
  });

  test("a write based on a version the cache no longer holds is dropped: the watch brought something newer", async () => {
    informer = await startedInformer([configMap("7", "from the watch")]);
    informer.recordWrite(configMap("6", "ours"), "5");
    expect(informer.get("ns", "cm")).toMatchObject({ metadata: { resourceVersion: "7" } });
  });

  test("a write of an object the cache does not hold adds nothing (its add comes from the watch, with handlers)", async () => {
    informer = await startedInformer([]);
    informer.recordWrite(configMap("6", "ours"), undefined);
    informer.recordWrite(configMap("6", "ours"), "5");
    expect(informer.list()).toEqual([]);
  });

  test("no handler runs for a recorded write", async () => {
    informer = await startedInformer([configMap("5", "old")]);
    const seen: string[] = [];
    informer.on((event) => seen.push(event));
    informer.recordWrite(configMap("6", "new"), "5");
    expect(seen).toEqual([]);
  });
});
