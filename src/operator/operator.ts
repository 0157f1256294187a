import { scorerModelProbe } from "./model-probe.js";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Controller } from "../controller/controller.js";
import { Informer } from "../controller/informer.js";
import { LeaderElector } from "../controller/leader-election.js";
import { realClock } from "../controller/clock.js";
import { WorkQueue } from "../controller/workqueue.js";
import { MANAGED_SELECTOR, type Capabilities } from "../desired/meta.js";
import type { KubeObject } from "../kube/object.js";
import { RestClient } from "../kube/rest.js";
import { inClusterAccess } from "../kube/in-cluster.js";
import { StringPool } from "../kube/string-pool.js";
import { loadKubeConfig } from "../kube/kubeconfig-access.js";
import { RESOURCE_TYPES, resourceType } from "../kube/resources.js";
import { discoverCapabilities, discoverCapabilitiesAtStart } from "./capabilities.js";
import { splitImage, type OperatorConfig } from "./config.js";
import { createEventRecorder } from "./events.js";
import { startOperatorHttpServer } from "./http-server.js";
import { createOperatorMetrics, type OperatorMetrics } from "./metrics.js";
import { VerifiedChildren } from "./verified-children.js";
import { CHILD_KINDS, MONITORING_KINDS, reconcile } from "./reconciler.js";
import { childIndexKey } from "./child-index.js";
import { cachedAsMetadata, leanObject } from "./lean-cache.js";

/**
 * Wires the operator together: informers (caches warm even on a standby),
 * the work queue and controller (started only while leading), capability
 * re-discovery, and the probe/metrics server. `main` only calls this.
 */
export interface OperatorHandle {
  readonly metrics: OperatorMetrics;
  readonly client: RestClient;
  readonly port: number;
  isLeader(): boolean;
  capabilities(): Capabilities;
  /** The informers by kind (fault tests cut their watches). */
  readonly informers: ReadonlyMap<string, Informer>;
  /** Graceful: stop intake, finish in-flight reconciles, release the lease, close everything. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly logger: Logger;
  /** Called when leadership is lost; the CLI exits so a fresh process rejoins cleanly. */
  readonly onLostLeadership?: () => void;
  /** Where KUBERNETES_SERVICE_HOST/_PORT are read (in-cluster access); default: the process's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const JOB_KIND = "Job";

export async function startOperator(config: OperatorConfig, options: StartOptions): Promise<OperatorHandle> {
  const { logger } = options;
  const client = await connect(config, options.env ?? process.env);
  const metrics = createOperatorMetrics();
  client.onRequest((method, _path, status) =>
    metrics.apiRequests.inc({ verb: method, code: String(status) }),
  );

  let capabilities = await discoverCapabilitiesAtStart(client, (err, inMs) =>
    logger.warn(
      { err: err instanceof Error ? err.message : String(err), retryInMs: inMs },
      "capability discovery failed; retrying",
    ),
  );
  logger.info({ capabilities }, "discovered cluster capabilities");

  const queue = new WorkQueue();
  const ns = config.watchNamespace;
  // Every cache keeps only what a reconcile reads (lean-cache.ts), with one copy of each repeated string
  // (string-pool.ts); children are indexed by their resource.
  const strings = new StringPool();
  const informer = (kind: string, labelSelector?: string) =>
    new Informer({
      client,
      type: resourceType(kind),
      ...(ns !== undefined && { namespace: ns }),
      ...(labelSelector !== undefined && { labelSelector, indexKey: childIndexKey }),
      metadataOnly: cachedAsMetadata(kind),
      transform: (obj) => strings.internAll(leanObject(obj)),
      logger,
    });

  const resources = informer(RESOURCE_TYPES.MaieDeployment.kind);
  resources.on((event, obj, old) => {
    // Status-only updates are our own writes: the children's events already brought us here.
    if (event === "update" && old !== undefined && !specOrLifecycleChanged(obj, old)) return;
    queue.add(`${obj.metadata.namespace}/${obj.metadata.name}`);
  });

  const informers = new Map<string, Informer>();
  const enqueueOwner = (_event: string, obj: KubeObject) => {
    const owner = childIndexKey(obj);
    if (owner !== undefined) queue.add(owner);
  };
  const addChildInformer = (kind: string) => {
    const inf = informer(kind, MANAGED_SELECTOR);
    inf.on(enqueueOwner);
    informers.set(kind, inf);
    inf.start();
    return inf;
  };
  for (const kind of [...CHILD_KINDS, JOB_KIND]) addChildInformer(kind);
  if (capabilities.prometheusOperator) for (const kind of MONITORING_KINDS) addChildInformer(kind);
  resources.start();

  const events = createEventRecorder(client, config.identity, logger);
  const modelProbe = scorerModelProbe(client);
  const verified = new VerifiedChildren();
  const controller = new Controller({
    queue,
    concurrency: config.concurrency,
    logger,
    reconcile: (key) =>
      reconcile(key, {
        client,
        resources,
        children: informers,
        capabilities: () => capabilities,
        defaultImage: splitImage(config.image),
        events,
        metrics,
        logger,
        clock: realClock,
        resyncMs: config.resyncSeconds * 1000,
        modelProbe,
        verified,
      }),
    observe: (result, seconds) => {
      metrics.reconcileTotal.inc({ result });
      metrics.reconcileDuration.observe(seconds);
    },
  });
  const depthTimer = setInterval(() => metrics.workqueueDepth.set(queue.length), 1000);
  depthTimer.unref();

  // Capabilities are re-checked so a Prometheus Operator installed later is picked up without a restart.
  const recheck = setInterval(() => {
    discoverCapabilities(client)
      .then((next) => {
        if (next.prometheusOperator === capabilities.prometheusOperator) return;
        logger.info({ capabilities: next }, "cluster capabilities changed");
        capabilities = next;
        for (const kind of MONITORING_KINDS) {
          const existing = informers.get(kind);
          if (next.prometheusOperator && existing === undefined) addChildInformer(kind);
          if (!next.prometheusOperator && existing !== undefined) {
            informers.delete(kind);
            void existing.stop();
          }
        }
        for (const r of resources.list()) queue.add(`${r.metadata.namespace}/${r.metadata.name}`);
      })
      .catch((err: unknown) =>
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, "capability check failed"),
      );
  }, config.capabilityRecheckSeconds * 1000);
  recheck.unref();

  let started = false;
  const startController = async () => {
    await resources.waitForSync();
    await Promise.all([...informers.values()].map((i) => i.waitForSync()));
    if (started) return;
    started = true;
    controller.start();
    for (const r of resources.list()) queue.add(`${r.metadata.namespace}/${r.metadata.name}`);
  };

  let elector: LeaderElector | undefined;
  if (config.leaderElection) {
    elector = new LeaderElector({
      client,
      namespace: config.leaseNamespace,
      name: config.leaseName,
      identity: config.identity,
      logger,
      onStartedLeading: () => {
        metrics.leader.set(1);
        void startController();
      },
      onStoppedLeading: () => {
        metrics.leader.set(0);
        void controller.stop();
        options.onLostLeadership?.();
      },
    });
    elector.start();
  } else {
    metrics.leader.set(1);
    void startController();
  }

  const server: Server = await startOperatorHttpServer(
    metrics.registry,
    {
      healthy: () => true,
      ready: () => {
        const all = [resources, ...informers.values()];
        const pending = all.filter((i) => !i.hasSynced).length;
        if (pending > 0) return { ready: false, reason: `${pending} cache(s) not synced yet` };
        return { ready: true, reason: elector === undefined || elector.isLeader ? "leader" : "standby" };
      },
    },
    config.metricsPort,
    config.metricsBindAddress,
  );
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, identity: config.identity }, "operator started");

  return {
    metrics,
    client,
    port,
    informers,
    isLeader: () => elector === undefined || elector.isLeader,
    capabilities: () => capabilities,
    async stop() {
      clearInterval(recheck);
      clearInterval(depthTimer);
      await controller.stop();
      await elector?.release();
      metrics.leader.set(0);
      await Promise.all([resources.stop(), ...[...informers.values()].map((i) => i.stop())]);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      client.close();
      logger.info("operator stopped");
    },
  };
}

function specOrLifecycleChanged(obj: KubeObject, old: KubeObject): boolean {
  return (
    obj.metadata.generation !== old.metadata.generation ||
    obj.metadata.deletionTimestamp !== old.metadata.deletionTimestamp ||
    JSON.stringify(obj.metadata.labels) !== JSON.stringify(old.metadata.labels)
  );
}

/**
 * The API client: a `--kubeconfig` when given; else, in a pod, the service
 * account read directly, which keeps `@kubernetes/client-node` (about 80 MiB
 * of RSS) out of the process; else client-node's default kubeconfig.
 */
async function connect(
  config: OperatorConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RestClient> {
  const options = { maxInFlight: config.maxInFlight };
  const inCluster =
    config.kubeconfig === undefined ? await inClusterAccess(env, config.serviceAccountDir) : undefined;
  if (inCluster !== undefined) return RestClient.fromAccess(inCluster, options);
  return RestClient.fromKubeConfig(await loadKubeConfig(config.kubeconfig), options);
}
