import { STORE_KEYS } from "../../../src/contract/object-layout.js";
import { ObjectStoreError } from "../../../src/objectstore/index.js";
import { decodePanelPointer } from "../../../src/panel/pointer.js";
import { publishDay } from "../../../src/panel-store/publish.js";
import { PanelPointerFollower, PointedSource } from "../../../src/scorer/panel-source.js";
import { Watched } from "../../../src/scorer/watched.js";
import { MemoryObjectStore } from "../../harness/memory-object-store.js";
import { FEATURES, fakeSources, json, makeDataDir, MODEL_A, PANEL, startScorer, until } from "./fakes.js";

/**
 * The scorer following panels published through the object store: the
 * pointer polled conditionally and shared by both panels, each panel
 * fetched and checked against the pointer, swapped together, and the last
 * good ones kept on any failure with the reason on /ready. The same against
 * the real S3 server and a real pipeline: test/integration/panel-store.test.ts.
 */

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const at = (iso: string) => () => new Date(iso);

function publish(store: MemoryObjectStore, asOf: string, alpha: Record<string, number> = PANEL.alpha) {
  return publishDay(
    store,
    {
      asOf,
      reportHtml: `<p>${asOf}</p>`,
      panel: bytes({ as_of: asOf, alpha }),
      // Each day's features differ (a value per day), so a new pointer names new features bytes too.
      features: bytes({ ...FEATURES, featureSet: asOf }),
    },
    at(`${asOf}T22:15:00Z`),
  );
}

const pointerGets = (store: MemoryObjectStore) =>
  store.requests.filter((r) => r === `get teams/alpha/${STORE_KEYS.pointer}`).length;

describe("PanelPointerFollower", () => {
  test("one conditional GET per interval serves both panels; a change wakes every listener", async () => {
    const store = new MemoryObjectStore();
    await publish(store, "2026-11-26");
    let now = 0;
    const follower = new PanelPointerFollower({ store, reuseMs: 500, now: () => now });
    const woken: string[] = [];
    follower.onChange(() => woken.push("a"));
    follower.onChange(() => woken.push("b"));

    const [p1, p2] = await Promise.all([follower.current(), follower.current()]);
    expect(p1?.as_of).toBe("2026-11-26");
    expect(p2).toBe(p1);
    expect(pointerGets(store)).toBe(1);
    expect(woken).toEqual(["a", "b"]);

    now = 100;
    await follower.current();
    expect(pointerGets(store)).toBe(1); // reused within reuseMs

    now = 600;
    expect((await follower.current())?.as_of).toBe("2026-11-26");
    expect(pointerGets(store)).toBe(2); // asked again, answered 304
    expect(woken).toHaveLength(2);

    await publish(store, "2026-11-27");
    now = 1200;
    expect((await follower.current())?.as_of).toBe("2026-11-27");
    expect(woken).toEqual(["a", "b", "a", "b"]);
  });

  test("nothing published is null; an unreadable pointer is an error naming it", async () => {
    const store = new MemoryObjectStore();
    let now = 0;
    const follower = new PanelPointerFollower({ store, reuseMs: 10, now: () => now });
    expect(await follower.current()).toBeNull();
    store.put(STORE_KEYS.pointer, "{ not json");
    now = 100;
    await expect(follower.current()).rejects.toThrow(
      /s3:\/\/maie\/teams\/alpha\/expected\/latest\.json is not a panel pointer/,
    );
  });
});

describe("a Watched panel over PointedSource", () => {
  async function setup() {
    const store = new MemoryObjectStore();
    let now = 0;
    const follower = new PanelPointerFollower({ store, reuseMs: 0, now: () => (now += 1) });
    const events: string[] = [];
    const watched = new Watched(new PointedSource(follower, "expected"), {
      pollMs: 3_600_000,
      load: fakeSources.loadExpected,
      onSwap: (next) => events.push(`swap ${next.value.asOf}`),
      onFailure: (err) => events.push(`fail ${(err as Error).message}`),
      onCurrent: () => events.push("current"),
      onMissing: () => events.push("missing"),
    });
    return { store, watched, events };
  }

  test("swaps to what each new pointer names, and keeps the last good one when it cannot be used", async () => {
    const { store, watched, events } = await setup();
    await watched.check();
    expect(events).toEqual(["missing"]);

    const day1 = await publish(store, "2026-11-26");
    await watched.check();
    expect(watched.current?.value.asOf).toBe("2026-11-26");
    expect(watched.current?.sha256).toBe(day1.pointer.expected.sha256);
    expect(watched.current?.mtimeMs).toBe(Date.parse("2026-11-26T22:15:00Z"));

    // A pointer naming an object that is gone.
    const day2 = await publish(store, "2026-11-27", { AAA: 1 });
    store.remove(day2.pointer.expected.key);
    await watched.check();
    expect(watched.current?.value.asOf).toBe("2026-11-26");
    expect(events.at(-1)).toMatch(
      /^fail the expected panel named by s3:\/\/maie\/teams\/alpha\/expected\/latest\.json cannot be used: .*does not exist/,
    );

    // The object back, but tampered with (same size: only the digest tells).
    store.put(day2.pointer.expected.key, bytes({ as_of: "2026-11-27", alpha: { AAA: 7 } }));
    await watched.check();
    expect(watched.current?.value.asOf).toBe("2026-11-26");
    expect(events.at(-1)).toMatch(/has sha256 [0-9a-f]{64} but expected\/latest\.json says/);

    // Published again properly: the swap.
    await publish(store, "2026-11-27", { AAA: 1 });
    await watched.check();
    expect(watched.current?.value.asOf).toBe("2026-11-27");
    expect(watched.current?.value.alpha.get("AAA")).toBe(1);
  });

  test("after a store outage the same panel is confirmed current (what clears the error)", async () => {
    const { store, watched, events } = await setup();
    await publish(store, "2026-11-26");
    await watched.check();
    store.fail = () => new ObjectStoreError("unavailable", "the store is down");
    await watched.check();
    expect(events.at(-1)).toBe("fail the store is down");
    store.fail = () => undefined;
    await watched.check();
    expect(events.at(-1)).toBe("current");
    expect(watched.current?.value.asOf).toBe("2026-11-26");
  });

  test("a new pointer seen by one panel wakes the other, whose own poll is an hour away", async () => {
    const store = new MemoryObjectStore();
    await publish(store, "2026-11-26");
    const follower = new PanelPointerFollower({ store, reuseMs: 0 });
    const watch = <T>(kind: "expected" | "features", load: (b: Uint8Array) => Promise<T>) =>
      new Watched(new PointedSource(follower, kind), { pollMs: 3_600_000, debounceMs: 1, load });
    const expected = watch("expected", fakeSources.loadExpected);
    const features = watch("features", fakeSources.loadFeatures);
    await Promise.all([expected.start(), features.start()]);
    try {
      const day2 = await publish(store, "2026-11-27");
      await expected.check();
      expect(expected.current?.value.asOf).toBe("2026-11-27");
      await until(() => features.current?.sha256 === day2.pointer.features.sha256);
    } finally {
      expected.close();
      features.close();
    }
  });

  test("an unchanged pointer costs one GET of the pointer, no panel GET", async () => {
    const { store, watched } = await setup();
    const day = await publish(store, "2026-11-26");
    await watched.check();
    const before = store.requests.length;
    await watched.check();
    expect(store.requests.slice(before)).toEqual([`get teams/alpha/${STORE_KEYS.pointer}`]);
    expect(store.requests).toContain(`get teams/alpha/${day.pointer.expected.key}`);
  });
});

describe("maie scorer with panels from the object store", () => {
  test("serves the published day, swaps both panels on a new pointer, reports a bad one on /ready", async () => {
    const store = new MemoryObjectStore();
    const data = await makeDataDir();
    await data.write("models/model.txt", MODEL_A);
    await publish(store, "2026-11-26");
    const s = await startScorer(
      data.dir,
      { panelStore: "object-store", panelPollSeconds: "1" },
      { ...fakeSources, panelStore: () => store },
    );
    try {
      const ready = async () => json(await fetch(`${s.url}/ready`));
      expect(await ready()).toMatchObject({
        status: "ready",
        as_of: "2026-11-26",
        features_available: "true",
        panel_source: "s3://maie/teams/alpha/expected/latest.json",
      });

      const day2 = await publish(store, "2026-11-27");
      await until(async () => (await ready())["as_of"] === "2026-11-27");
      await until(() => s.scorer.state.features.current?.sha256 === day2.pointer.features.sha256);
      const scores = await json(await fetch(`${s.url}/score_expected`));
      expect(scores["as_of"]).toBe("2026-11-27");

      const day3 = await publish(store, "2026-11-28", { AAA: 9 });
      store.put(day3.pointer.expected.key, bytes({ as_of: "2026-11-28", alpha: { AAA: 8 } }));
      await until(async () => (await ready())["panel_error"] !== undefined);
      const bad = await ready();
      expect(bad).toMatchObject({ status: "ready", as_of: "2026-11-27" });
      expect(bad["panel_error"]).toMatch(/expected panel named by .*latest\.json cannot be used: .*sha256/);

      await publish(store, "2026-11-28", { AAA: 9 });
      await until(async () => (await ready())["as_of"] === "2026-11-28");
      await until(async () => (await ready())["panel_error"] === undefined);
      expect(decodePanelPointer(store.bytes(STORE_KEYS.pointer)!, "p").as_of).toBe("2026-11-28");
    } finally {
      await s.stop();
      await data.cleanup();
    }
  });

  test("nothing published: not ready, and the reason names the pointer", async () => {
    const store = new MemoryObjectStore();
    const data = await makeDataDir();
    const s = await startScorer(
      data.dir,
      { panelStore: "object-store", readinessRequiresModel: "false" },
      { ...fakeSources, panelStore: () => store },
    );
    try {
      const res = await fetch(`${s.url}/ready`);
      expect(res.status).toBe(503);
      expect((await json(res))["reason"]).toBe(
        "expected panel not loaded (s3://maie/teams/alpha/expected/latest.json)",
      );
    } finally {
      await s.stop();
      await data.cleanup();
    }
  });
});
