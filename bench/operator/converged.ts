/**
 * When the operator is done, seen through a watch (not a polled LIST): a
 * MaieDeployment counts once its status is for its current generation and
 * lists children, every one of them applied.
 */
import { pino } from "pino";
import { Informer } from "../../src/controller/informer.js";
import type { RestClient } from "../../src/kube/rest.js";
import { RESOURCE_TYPES } from "../../src/kube/resources.js";
import type { KubeObject } from "../../src/kube/object.js";

interface Watched extends KubeObject {
  status?: { observedGeneration?: number; children?: { applied: boolean }[] };
}

function reconciled(r: Watched): boolean {
  const children = r.status?.children ?? [];
  return (
    r.status?.observedGeneration === r.metadata.generation &&
    children.length > 0 &&
    children.every((c) => c.applied)
  );
}

export class ConvergenceWatch {
  private readonly done = new Set<string>();
  private waiter: { n: number; resolve: () => void } | undefined;

  private constructor(private readonly informer: Informer<Watched>) {
    informer.on((event, obj) => {
      if (event !== "delete" && reconciled(obj)) this.done.add(obj.metadata.name);
      else this.done.delete(obj.metadata.name);
      if (this.waiter !== undefined && this.done.size >= this.waiter.n) this.waiter.resolve();
    });
  }

  /** Watches the namespace's MaieDeployments; resolves once the informer has listed them. */
  static async start(client: RestClient, namespace: string): Promise<ConvergenceWatch> {
    const informer = new Informer<Watched>({
      client,
      type: RESOURCE_TYPES.MaieDeployment,
      namespace,
      logger: pino({ level: "warn" }, pino.destination(2)),
    });
    const watch = new ConvergenceWatch(informer);
    informer.start();
    await informer.waitForSync();
    return watch;
  }

  /** How many are reconciled now. */
  get reconciled(): number {
    return this.done.size;
  }

  /** Resolves once `n` MaieDeployments are reconciled. */
  until(n: number): Promise<void> {
    if (this.done.size >= n) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = { n, resolve }));
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}
