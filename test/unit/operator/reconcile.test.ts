import { pino } from "pino";
import { parseMaieDeployment } from "../../../src/api/parse.js";
import type { MaieDeployment } from "../../../src/api/resource.js";
import type { Condition } from "../../../src/api/status.js";
import { desiredChildren } from "../../../src/desired/children.js";
import type { Capabilities } from "../../../src/desired/meta.js";
import type { KubeObject } from "../../../src/kube/object.js";
import { KubeApiError } from "../../../src/kube/rest.js";
import { RESOURCE_TYPES, resourcePath, resourceType } from "../../../src/kube/resources.js";
import type { EventRecorder } from "../../../src/operator/events.js";
import { createOperatorMetrics } from "../../../src/operator/metrics.js";
import {
  CHILD_KINDS,
  DESIRED_HASH_ANNOTATION,
  MIN_MODEL_RECHECK_MS,
  MONITORING_KINDS,
  ReconcileError,
  reconcile,
  type ReconcilerDeps,
} from "../../../src/operator/reconciler.js";
import type { PodModelReport } from "../../../src/operator/served-model.js";
import { VerifiedChildren } from "../../../src/operator/verified-children.js";
import { MemoryKube } from "./memory-kube.js";

/**
 * `reconcile()` against an in-memory apiserver: the decisions that need no
 * real one (what to apply, what to prune, the status built from the facts,
 * and what the controller is told to do next). Defaulting, field ownership
 * and garbage collection are the apiserver's and stay in the integration tests.
 */

const NS = "research";
const NAME = "alpha";
const KEY = `${NS}/${NAME}`;
const UID = "00000000-0000-4000-8000-000000000001";
const NOW = Date.parse("2026-11-28T12:00:00Z");
const RESYNC_MS = 300_000;
const WITH_PROM: Capabilities = { prometheusOperator: true };
const WITHOUT_PROM: Capabilities = { prometheusOperator: false };

interface RecordedEvent {
  readonly type: string;
  readonly reason: string;
  readonly note: string;
}

interface World {
  readonly kube: MemoryKube;
  readonly events: RecordedEvent[];
  readonly deps: ReconcilerDeps;
}

function rawResource(spec: unknown, generation = 1): KubeObject {
  return {
    apiVersion: "maie.io/v1alpha1",
    kind: "MaieDeployment",
    metadata: { name: NAME, namespace: NS, uid: UID, generation },
    spec,
  };
}

function world(
  spec: unknown = {},
  capabilities: Capabilities = WITH_PROM,
  pods: PodModelReport[] = [],
): World {
  const kube = new MemoryKube();
  const raw = rawResource(spec);
  kube.objects.set(resourcePath(RESOURCE_TYPES.MaieDeployment, NS, NAME), raw);
  const events: RecordedEvent[] = [];
  const recorder: EventRecorder = {
    record: (_cr, type, reason, _action, note) => events.push({ type, reason, note }),
  };
  const children = new Map([...CHILD_KINDS, ...MONITORING_KINDS, "Job"].map((k) => [k, kube.cache(k)]));
  const deps: ReconcilerDeps = {
    client: kube,
    resources: kube.cache("MaieDeployment"),
    children,
    capabilities: () => capabilities,
    defaultImage: { repository: "ghcr.io/example/maie", tag: "1.0.0" },
    events: recorder,
    metrics: createOperatorMetrics(),
    logger: pino({ level: "silent" }),
    clock: { now: () => NOW, setTimeout: () => ({ cancel: () => undefined }) },
    resyncMs: RESYNC_MS,
    // What the scorer pods answer on /ready; tests change it in place to play a model rollout.
    modelProbe: () => Promise.resolve([...pods]),
    verified: new VerifiedChildren(),
  };
  return { kube, events, deps };
}

function parsed(spec: unknown): MaieDeployment {
  const p = parseMaieDeployment(rawResource(spec));
  if (!p.ok) throw new Error(p.message);
  return p.value;
}

function stored(w: World): MaieDeployment {
  return w.kube.objects.get(
    resourcePath(RESOURCE_TYPES.MaieDeployment, NS, NAME),
  ) as unknown as MaieDeployment;
}

function condition(w: World, type: string): Condition | undefined {
  return stored(w).status?.conditions?.find((c) => c.type === type);
}

function applied(w: World): string[] {
  return w.kube
    .writes()
    .filter((r) => r.method === "PATCH" && !r.path.endsWith("/status"))
    .map((r) => {
      const o = r.options.body as KubeObject;
      return `${o.kind}/${o.metadata.name}`;
    })
    .sort();
}

function childKeys(objects: readonly KubeObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** A live child this resource owns, as the informer would cache it. */
function ownedChild(kind: string, name: string, uid = UID): KubeObject {
  const t = resourceType(kind);
  return {
    apiVersion: t.apiVersion,
    kind,
    metadata: {
      name,
      namespace: NS,
      uid: `live-${kind}`,
      labels: { "app.kubernetes.io/instance": NAME },
      ownerReferences: [
        { apiVersion: "maie.io/v1alpha1", kind: "MaieDeployment", name: NAME, uid, controller: true },
      ],
    },
  };
}

function put(w: World, o: KubeObject): void {
  w.kube.objects.set(resourcePath(resourceType(o.kind), o.metadata.namespace, o.metadata.name), o);
}

/** The scorer Deployment as it is once its pods exist: only then does the operator ask pods (status.model). */
function withScorerPods(w: World, spec: unknown = {}, replicas = 2): World {
  const ctx = { capabilities: WITH_PROM, defaultImage: w.deps.defaultImage };
  const deployment = desiredChildren(parsed(spec), ctx).find((c) => c.kind === "Deployment");
  if (deployment === undefined) throw new Error("no Deployment is desired");
  put(w, { ...deployment, status: { replicas } });
  return w;
}

describe("reconcile() against an in-memory apiserver", () => {
  test("a new resource: every desired child is applied, with its desired hash, then the status; resync after", async () => {
    const w = world();
    const action = await reconcile(KEY, w.deps);

    expect(action).toEqual({ kind: "requeue", afterMs: RESYNC_MS });
    expect(applied(w)).toEqual(
      childKeys(desiredChildren(parsed({}), { capabilities: WITH_PROM, defaultImage: w.deps.defaultImage })),
    );
    for (const r of w.kube.writes().filter((x) => x.method === "PATCH" && !x.path.endsWith("/status")))
      expect((r.options.body as KubeObject).metadata.annotations?.[DESIRED_HASH_ANNOTATION]).toMatch(
        /^[0-9a-f]{16}$/,
      );
    expect(w.kube.writes().filter((r) => r.path.endsWith("/status"))).toHaveLength(1);
    // One Event names every child created, not one Event each.
    const created = w.events.filter((e) => e.reason === "ChildCreated");
    expect(created).toHaveLength(1);
    for (const child of applied(w)) expect(created[0]?.note).toContain(child);

    const status = stored(w).status!;
    expect(status.observedGeneration).toBe(1);
    expect(status.selector).toContain(`app.kubernetes.io/instance=${NAME}`);
    expect(status.endpoint).toBe(`http://${NAME}.${NS}.svc:8000`);
    expect(condition(w, "Available")).toMatchObject({ status: "Unknown", reason: "NoDeploymentStatus" });
    expect(condition(w, "Ready")).toMatchObject({ status: "Unknown", reason: "Pending" });
    expect(condition(w, "Degraded")).toMatchObject({ status: "False" });
    expect(condition(w, "MonitoringConfigured")).toMatchObject({ status: "True", reason: "Applied" });
  });

  test("at a fixed point nothing is written: no apply, no status write, no event", async () => {
    const w = world();
    await reconcile(KEY, w.deps);
    await reconcile(KEY, w.deps); // Progressing settles once nothing changed
    const before = w.kube.log.length;
    const events = w.events.length;

    await expect(reconcile(KEY, w.deps)).resolves.toEqual({ kind: "requeue", afterMs: RESYNC_MS });
    expect(w.kube.log.slice(before).filter((r) => r.method !== "GET")).toEqual([]);
    expect(w.events).toHaveLength(events);
  });

  test("an unchanged resource whose children are at the versions it applied is not rebuilt: no request at all", async () => {
    const w = world();
    await reconcile(KEY, w.deps);
    await reconcile(KEY, w.deps);
    const before = w.kube.log.length;
    await reconcile(KEY, w.deps);
    expect(w.kube.log.slice(before)).toEqual([]);
  });

  test("a child another writer changed, or a new spec, is compared and applied again", async () => {
    const w = world();
    await reconcile(KEY, w.deps);
    await reconcile(KEY, w.deps);
    const path = resourcePath(resourceType("Service"), NS, NAME);
    const service = w.kube.objects.get(path)!;
    put(w, {
      ...service,
      metadata: { ...service.metadata, resourceVersion: "99", labels: {} },
    });
    w.kube.log.length = 0;
    await reconcile(KEY, w.deps);
    expect(applied(w)).toEqual([`Service/${NAME}`]);

    const raw = w.kube.objects.get(resourcePath(RESOURCE_TYPES.MaieDeployment, NS, NAME))!;
    put(w, { ...raw, spec: { replicas: 3 }, metadata: { ...raw.metadata, generation: 2 } });
    w.kube.log.length = 0;
    await reconcile(KEY, w.deps);
    expect(applied(w)).toContain(`Deployment/${NAME}`);
  });

  test("prunes owned children that are no longer desired, never PVCs nor objects it does not own", async () => {
    const w = world({ ingress: { enabled: true, host: "alpha.example.com" } });
    await reconcile(KEY, w.deps);
    expect(applied(w)).toContain(`Ingress/${NAME}`);

    // The ingress is turned off; a foreign Ingress and an owned, undesired PVC are also there.
    const raw = w.kube.objects.get(resourcePath(RESOURCE_TYPES.MaieDeployment, NS, NAME))!;
    put(w, { ...raw, spec: { ingress: { enabled: false } }, metadata: { ...raw.metadata, generation: 2 } });
    put(w, ownedChild("Ingress", "someone-else", "another-uid"));
    put(w, ownedChild("PersistentVolumeClaim", "old-claim"));
    w.kube.log.length = 0;

    await reconcile(KEY, w.deps);
    const deletes = w.kube.writes().filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => r.path)).toEqual([resourcePath(resourceType("Ingress"), NS, NAME)]);
    expect(w.events.map((e) => e.reason)).toContain("ChildDeleted");
  });

  test("without the Prometheus Operator API, ServiceMonitor and PrometheusRule are neither applied nor pruned", async () => {
    const w = world({ monitoring: { serviceMonitor: { enabled: "Enabled" } } }, WITHOUT_PROM);
    await reconcile(KEY, w.deps);

    expect(
      applied(w).filter((k) => k.startsWith("ServiceMonitor/") || k.startsWith("PrometheusRule/")),
    ).toEqual([]);
    expect(w.kube.log.some((r) => r.path.includes("monitoring.coreos.com"))).toBe(false);
    expect(condition(w, "MonitoringConfigured")).toMatchObject({
      status: "False",
      reason: "CRDNotInstalled",
    });
    expect(condition(w, "Degraded")).toMatchObject({ status: "True", reason: "CRDNotInstalled" });
  });

  test("monitoring turned off is MonitoringConfigured=True/Disabled", async () => {
    const w = world({
      monitoring: { serviceMonitor: { enabled: "Disabled" }, alerts: { enabled: "Disabled" } },
    });
    await reconcile(KEY, w.deps);
    expect(condition(w, "MonitoringConfigured")).toMatchObject({ status: "True", reason: "Disabled" });
  });

  test("the status is built from the observed Deployment: an available one makes the resource Ready", async () => {
    const w = world();
    await reconcile(KEY, w.deps);
    const path = resourcePath(resourceType("Deployment"), NS, NAME);
    const deployment = w.kube.objects.get(path)!;
    const replicas = (deployment["spec"] as { replicas: number }).replicas;
    w.kube.objects.set(path, {
      ...deployment,
      status: {
        observedGeneration: 0,
        replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        updatedReplicas: replicas,
        conditions: [{ type: "Available", status: "True" }],
      },
    });

    await reconcile(KEY, w.deps);
    expect(condition(w, "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
    expect(condition(w, "Ready")).toMatchObject({ status: "True", reason: "Ready" });
    expect(stored(w).status).toMatchObject({
      readyReplicas: replicas,
      replicaSummary: `${replicas}/${replicas}`,
    });
  });
});

describe("reconcile() never adopts what it did not create", () => {
  function foreign(kind: string, name: string): KubeObject {
    const t = resourceType(kind);
    return {
      apiVersion: t.apiVersion,
      kind,
      metadata: { name, namespace: NS, uid: `foreign-${kind}`, resourceVersion: "7" },
      spec: { mine: true },
    };
  }

  test("a foreign Service and PVC are left untouched, reported as ChildConflict, the rest applied", async () => {
    const w = world();
    const service = foreign("Service", NAME);
    const pvc = foreign("PersistentVolumeClaim", `${NAME}-data`);
    put(w, service);
    put(w, pvc);

    await expect(reconcile(KEY, w.deps)).resolves.toEqual({ kind: "requeue", afterMs: RESYNC_MS });
    expect(applied(w)).not.toContain(`Service/${NAME}`);
    expect(applied(w)).not.toContain(`PersistentVolumeClaim/${NAME}-data`);
    expect(applied(w)).toContain(`Deployment/${NAME}`);
    expect(applied(w)).toContain(`PersistentVolumeClaim/${NAME}-backups`);
    expect(w.kube.objects.get(resourcePath(resourceType("Service"), NS, NAME))).toEqual(service);
    expect(
      w.kube.objects.get(resourcePath(resourceType("PersistentVolumeClaim"), NS, `${NAME}-data`)),
    ).toEqual(pvc);
    expect(condition(w, "Degraded")).toMatchObject({ status: "True", reason: "ChildConflict" });
    expect(condition(w, "Degraded")?.message).toContain(`Service/${NAME} exists`);
    expect(condition(w, "Degraded")?.message).toContain(`PersistentVolumeClaim/${NAME}-data exists`);
    expect(condition(w, "Ready")).toMatchObject({ status: "False", reason: "ChildConflict" });
    expect(stored(w).status?.children).toContainEqual({ kind: "Service", name: NAME, applied: false });
    expect(
      w.events
        .filter((e) => e.reason === "ChildConflict")
        .map((e) => e.note.split(" ")[0])
        .sort(),
    ).toEqual([`PersistentVolumeClaim/${NAME}-data`, `Service/${NAME}`]);

    // Still there at the next look: no write to them, no new conflict event.
    w.events.length = 0;
    await reconcile(KEY, w.deps);
    await reconcile(KEY, w.deps);
    expect(w.events.filter((e) => e.reason === "ChildConflict")).toEqual([]);
    expect(w.kube.objects.get(resourcePath(resourceType("Service"), NS, NAME))).toEqual(service);
  });

  test('with maie.io/adopt-pvcs: "true" a foreign PVC is adopted; a foreign Service still is not', async () => {
    const w = world();
    const raw = w.kube.objects.get(resourcePath(RESOURCE_TYPES.MaieDeployment, NS, NAME))!;
    put(w, { ...raw, metadata: { ...raw.metadata, annotations: { "maie.io/adopt-pvcs": "true" } } });
    put(w, foreign("Service", NAME));
    put(w, foreign("PersistentVolumeClaim", `${NAME}-data`));

    await reconcile(KEY, w.deps);
    expect(applied(w)).toContain(`PersistentVolumeClaim/${NAME}-data`);
    expect(applied(w)).not.toContain(`Service/${NAME}`);
    expect(condition(w, "Degraded")?.message).not.toContain("PersistentVolumeClaim");
  });

  test("a PVC retained by a deleted resource of the same name (our labels, no owner) is reused", async () => {
    const first = world();
    await reconcile(KEY, first.deps);
    const path = resourcePath(resourceType("PersistentVolumeClaim"), NS, `${NAME}-data`);
    const retained = first.kube.objects.get(path)!;
    expect(retained.metadata.ownerReferences).toBeUndefined();

    const second = world();
    const raw = second.kube.objects.get(resourcePath(RESOURCE_TYPES.MaieDeployment, NS, NAME))!;
    put(second, { ...raw, metadata: { ...raw.metadata, uid: "a-new-uid" } });
    put(second, retained);
    await reconcile(KEY, second.deps);
    expect(condition(second, "Degraded")).toMatchObject({ status: "False" });
  });
});

describe("reconcile() error policy", () => {
  test("a deleted resource needs nothing and waits for a change", async () => {
    const w = world();
    w.kube.objects.clear();
    await expect(reconcile(KEY, w.deps)).resolves.toEqual({ kind: "awaitChange" });
    expect(w.kube.log).toEqual([]);
  });

  test("an invalid spec is reported in status and an event, and not retried (awaitChange)", async () => {
    const spec = { scorer: { port: "not-a-port" } };
    expect(parseMaieDeployment(rawResource(spec) as never).ok).toBe(false);
    const w = world(spec);

    await expect(reconcile(KEY, w.deps)).resolves.toEqual({ kind: "awaitChange" });
    expect(applied(w)).toEqual([]);
    expect(condition(w, "Ready")).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(w.events.map((e) => e.reason)).toEqual(["InvalidSpec"]);

    // Still invalid at the next look: no new status write, no new event.
    w.kube.log.length = 0;
    await expect(reconcile(KEY, w.deps)).resolves.toEqual({ kind: "awaitChange" });
    expect(w.kube.writes()).toEqual([]);
    expect(w.events).toHaveLength(1);
  });

  test("a failed apply is reported (Degraded/ApplyFailed), the rest is applied, and the reconcile throws for backoff", async () => {
    const w = world();
    const service = resourcePath(resourceType("Service"), NS, NAME);
    w.kube.failWith = (method, path) =>
      method === "PATCH" && path === service
        ? new KubeApiError(500, "InternalError", "etcd timeout")
        : undefined;

    await expect(reconcile(KEY, w.deps)).rejects.toThrow(ReconcileError);
    expect(applied(w)).toContain(`Deployment/${NAME}`);
    expect(condition(w, "Degraded")).toMatchObject({ status: "True", reason: "ApplyFailed" });
    expect(condition(w, "Degraded")?.message).toContain("etcd timeout");
    expect(condition(w, "Ready")).toMatchObject({ status: "False", reason: "ApplyFailed" });
    expect(w.events.map((e) => e.reason)).toContain("ApplyFailed");
  });

  test("a failed status write fails the reconcile (retried with backoff)", async () => {
    const w = world();
    w.kube.failWith = (method, path) =>
      method === "PATCH" && path.endsWith("/status")
        ? new KubeApiError(409, "Conflict", "conflict")
        : undefined;
    await expect(reconcile(KEY, w.deps)).rejects.toThrow("conflict");
  });
});

describe("reconcile() reads objects stored before the tri-state rename", () => {
  test('a stored "true" works as Enabled, with one DeprecatedValue event per generation', async () => {
    const w = world({ replicas: 1, podDisruptionBudget: { enabled: "true" } });
    await reconcile(KEY, w.deps);
    expect(applied(w)).toContain(`PodDisruptionBudget/${NAME}`);
    const deprecated = () => w.events.filter((e) => e.reason === "DeprecatedValue");
    expect(deprecated()).toEqual([
      expect.objectContaining({
        type: "Warning",
        note: 'spec.podDisruptionBudget.enabled: "true" is the old spelling; write Enabled',
      }),
    ]);

    await reconcile(KEY, w.deps);
    expect(deprecated()).toHaveLength(1);

    const raw = w.kube.objects.get(resourcePath(RESOURCE_TYPES.MaieDeployment, NS, NAME))!;
    put(w, { ...raw, metadata: { ...raw.metadata, generation: 2 } });
    await reconcile(KEY, w.deps);
    expect(deprecated()).toHaveLength(2);
  });
});

describe("reconcile() checks what the schema cannot see before applying anything", () => {
  test("an unknown pipeline.timeZone is InvalidSpec, nothing applied", async () => {
    const w = world({ pipeline: { timeZone: "Mars/Olympus" } });
    await expect(reconcile(KEY, w.deps)).resolves.toEqual({ kind: "awaitChange" });
    expect(applied(w)).toEqual([]);
    expect(condition(w, "Ready")).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(condition(w, "Ready")?.message).toContain("spec.pipeline.timeZone");
    expect(w.events.map((e) => e.reason)).toEqual(["InvalidSpec"]);
  });
  describe("the served model (status.model, from the scorer pods' /ready)", () => {
    const SHA_A = "a".repeat(64);
    const SHA_B = "b".repeat(64);
    const URI = { model: { uri: "https://models.example.com/alpha.txt" } };

    test("reports what the pods serve, and a change of model is an event", async () => {
      const pods: PodModelReport[] = [
        { pod: "alpha-1", sha256: SHA_A, loadedAt: "2026-11-28T11:00:00Z", etag: '"e1"' },
        { pod: "alpha-2", sha256: SHA_A, loadedAt: "2026-11-28T11:00:05Z", etag: '"e1"' },
      ];
      const w = withScorerPods(world(URI, WITH_PROM, pods), URI);
      await reconcile(KEY, w.deps);
      expect(stored(w).status?.model).toEqual({
        source: URI.model.uri,
        format: "auto",
        sha256: SHA_A,
        digest: "sha256:aaaaaaaaaaaa",
        etag: '"e1"',
        loadedAt: "2026-11-28T11:00:00Z",
        serving: "2/2",
      });
      expect(w.events.filter((e) => e.reason === "ModelChanged")).toHaveLength(1);

      pods.splice(0, 2, { pod: "alpha-1", sha256: SHA_B, etag: '"e2"' }, { pod: "alpha-2", sha256: SHA_B });
      await reconcile(KEY, w.deps);
      expect(stored(w).status?.model?.digest).toBe("sha256:bbbbbbbbbbbb");
      const changes = w.events.filter((e) => e.reason === "ModelChanged");
      expect(changes).toHaveLength(2);
      expect(changes[1]?.note).toContain("(was sha256:aaaaaaaaaaaa)");
    });

    test("a registered version: status.model.registry and the event name it, and what it replaced", async () => {
      const REGISTRY = {
        model: { uri: "models:/maie-alpha@champion", mlflow: { trackingUri: "http://mlflow:5000" } },
      };
      const v = (version: string, sha256: string): PodModelReport => ({
        pod: "alpha-1",
        sha256,
        registry: { name: "maie-alpha", alias: "champion", version, runId: `run${version}` },
      });
      const pods: PodModelReport[] = [v("1", SHA_A)];
      const w = withScorerPods(world(REGISTRY, WITH_PROM, pods), REGISTRY);
      await reconcile(KEY, w.deps);
      expect(stored(w).status?.model?.registry).toEqual({
        name: "maie-alpha",
        alias: "champion",
        version: "1",
        runId: "run1",
        ref: "maie-alpha@champion→v1",
      });
      pods.splice(0, 1, v("2", SHA_B));
      await reconcile(KEY, w.deps);
      expect(w.events.filter((e) => e.reason === "ModelChanged").map((e) => e.note)).toEqual([
        "scorer pods serve maie-alpha@champion→v1, sha256:aaaaaaaaaaaa (run run1) from models:/maie-alpha@champion",
        "scorer pods serve maie-alpha@champion→v2, sha256:bbbbbbbbbbbb (run run2) from models:/maie-alpha@champion (was maie-alpha@champion→v1, sha256:aaaaaaaaaaaa)",
      ]);
    });

    test("pods that answer with no model make Ready False, ModelUnavailable, in the pods' own words", async () => {
      const w = withScorerPods(
        world(URI, WITH_PROM, [
          { pod: "alpha-1", sha256: null, error: "GET https://models.example.com/alpha.txt: 403 Forbidden" },
        ]),
        URI,
      );
      await reconcile(KEY, w.deps);
      expect(condition(w, "Ready")).toMatchObject({ status: "False", reason: "ModelUnavailable" });
      expect(condition(w, "Ready")?.message).toContain("403 Forbidden");
      expect(w.events.filter((e) => e.reason === "ModelUnavailable")).toHaveLength(1);
      await reconcile(KEY, w.deps);
      expect(w.events.filter((e) => e.reason === "ModelUnavailable")).toHaveLength(1);
    });

    test("a pod still serving the last good model keeps Ready off ModelUnavailable, and status says why the new one failed", async () => {
      const w = withScorerPods(
        world(URI, WITH_PROM, [
          { pod: "alpha-1", sha256: SHA_A, error: "sha256 of the new object is not the pinned one" },
          { pod: "alpha-2", unreachable: "connect ECONNREFUSED" },
        ]),
        URI,
      );
      await reconcile(KEY, w.deps);
      expect(condition(w, "Ready")?.reason).not.toBe("ModelUnavailable");
      expect(stored(w).status?.model).toMatchObject({ sha256: SHA_A, serving: "1/1" });
      expect(stored(w).status?.model?.message).toContain("not the pinned one");
      expect(stored(w).status?.model?.message).toContain("alpha-2: connect ECONNREFUSED");
    });

    test("an unpinned URI is looked at again after its poll interval; a pinned one at the resync", async () => {
      const unpinned = world({ model: { ...URI.model, pollInterval: "30s" } });
      await expect(reconcile(KEY, unpinned.deps)).resolves.toEqual({ kind: "requeue", afterMs: 30_000 });
      const pinned = world({ model: { ...URI.model, sha256: SHA_A, pollInterval: "30s" } });
      await expect(reconcile(KEY, pinned.deps)).resolves.toEqual({ kind: "requeue", afterMs: RESYNC_MS });
    });

    test("while scorer pods roll out or report a problem, the resource is looked at again soon; settled, at the resync", async () => {
      const rolling = withScorerPods(world({}, WITH_PROM, [{ pod: "alpha-1", sha256: SHA_A }]));
      await expect(reconcile(KEY, rolling.deps)).resolves.toEqual({
        kind: "requeue",
        afterMs: MIN_MODEL_RECHECK_MS,
      });

      const pods: PodModelReport[] = [
        { pod: "alpha-1", sha256: SHA_A },
        { pod: "alpha-2", sha256: SHA_A },
      ];
      const settled = world({}, WITH_PROM, pods);
      const ctx = { capabilities: WITH_PROM, defaultImage: settled.deps.defaultImage };
      const deployment = desiredChildren(parsed({}), ctx).find((c) => c.kind === "Deployment")!;
      const rolledOut = { replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 };
      put(settled, {
        ...deployment,
        metadata: { ...deployment.metadata, generation: 1 },
        status: { ...rolledOut, observedGeneration: 1 },
      });
      await expect(reconcile(KEY, settled.deps)).resolves.toEqual({ kind: "requeue", afterMs: RESYNC_MS });

      // A pod that refuses its model keeps the resource under watch.
      pods.splice(1, 1, {
        pod: "alpha-2",
        sha256: SHA_A,
        error: "sha256 of the new object is not the pinned one",
      });
      await expect(reconcile(KEY, settled.deps)).resolves.toEqual({
        kind: "requeue",
        afterMs: MIN_MODEL_RECHECK_MS,
      });
    });

    test("no scorer pod yet: no pod is asked and status.model says so", async () => {
      const w = world();
      let asked = 0;
      const deps: ReconcilerDeps = {
        ...w.deps,
        modelProbe: () => {
          asked += 1;
          return Promise.resolve([]);
        },
      };
      await reconcile(KEY, deps);
      expect(asked).toBe(0);
      expect(stored(w).status?.model?.message).toBe("no running scorer pod to ask yet");
    });

    test("pods that cannot be listed are a note in status.model, not a failed reconcile", async () => {
      const w = withScorerPods(world());
      const deps: ReconcilerDeps = {
        ...w.deps,
        modelProbe: () => Promise.reject(new Error("pods is forbidden")),
      };
      // Not a failure with backoff: a plain look again soon.
      await expect(reconcile(KEY, deps)).resolves.toEqual({ kind: "requeue", afterMs: MIN_MODEL_RECHECK_MS });
      expect(stored(w).status?.model).toMatchObject({ source: "models/model.txt", format: "auto" });
      expect(stored(w).status?.model?.message).toContain("pods is forbidden");
    });
  });
});
