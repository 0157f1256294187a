import type { Logger } from "pino";
import { isConflict, isNotFound, type KubeClient } from "../kube/rest.js";
import { RESOURCE_TYPES, resourcePath } from "../kube/resources.js";
import { realClock, type Clock } from "./clock.js";

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's
 * semantics and controller-runtime's defaults (15 s lease, 10 s renew
 * deadline, 2 s retry). Expiry is judged by *our* clock from when we last
 * saw the record change, never by comparing clocks across machines.
 * Releasing on shutdown empties the holder so a standby takes over at once.
 */

export interface LeaderElectionOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly onStartedLeading: () => void;
  /** Called when renewal failed for longer than the renew deadline. The caller must stop acting as leader. */
  readonly onStoppedLeading: () => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseSpec;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "000Z");
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private observed: { record: string; at: number } | undefined;
  private lastRenew = 0;
  private timer: { cancel(): void } | undefined;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;

  constructor(private readonly options: LeaderElectionOptions) {
    this.clock = options.clock ?? realClock;
    this.leaseMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryMs = options.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.tick(), this.retryMs);
  }

  private path(name?: string): string {
    return resourcePath(RESOURCE_TYPES.Lease, this.options.namespace, name);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const ok = await this.tryAcquireOrRenew();
      const now = this.clock.now();
      if (ok) {
        this.lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          this.options.logger.info(
            { lease: this.options.name, identity: this.options.identity },
            "became leader",
          );
          this.options.onStartedLeading();
        }
      } else if (this.leading && now - this.lastRenew > this.renewDeadlineMs) {
        this.lose("another holder has the lease");
      }
    } catch (err) {
      this.options.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "leader election request failed",
      );
      if (this.leading && this.clock.now() - this.lastRenew > this.renewDeadlineMs)
        this.lose("could not renew within the renew deadline");
    }
    this.schedule();
  }

  private lose(reason: string): void {
    this.leading = false;
    this.options.logger.error({ reason }, "lost leadership");
    this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, identity, name, namespace } = this.options;
    const now = this.clock.now();
    const desired: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      renewTime: microTime(now),
    };
    let lease: Lease;
    try {
      lease = await client.request<Lease>("GET", this.path(name), { timeoutMs: this.renewDeadlineMs });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await client.request("POST", this.path(), {
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec: { ...desired, acquireTime: microTime(now), leaseTransitions: 0 },
          },
          timeoutMs: this.renewDeadlineMs,
        });
        return true;
      } catch (createErr) {
        if (isConflict(createErr)) return false;
        throw createErr;
      }
    }

    const record = JSON.stringify(lease.spec);
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const holder = lease.spec.holderIdentity ?? "";
    const durationMs = (lease.spec.leaseDurationSeconds ?? 15) * 1000;
    const expired = holder === "" || this.observed.at + durationMs < now;
    if (holder !== identity && !expired) return false;

    const spec: LeaseSpec =
      holder === identity
        ? { ...lease.spec, ...desired }
        : {
            ...desired,
            acquireTime: microTime(now),
            leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1,
          };
    try {
      const updated = await client.request<Lease>("PUT", this.path(name), {
        body: { ...lease, spec },
        timeoutMs: this.renewDeadlineMs,
      });
      this.observed = { record: JSON.stringify(updated.spec), at: now };
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** Stops campaigning and, if leading, hands the lease back so a standby need not wait for expiry. */
  async release(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.options.client.request<Lease>("GET", this.path(this.options.name));
      if (lease.spec.holderIdentity !== this.options.identity) return;
      const now = this.clock.now();
      await this.options.client.request("PUT", this.path(this.options.name), {
        body: {
          ...lease,
          spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(now) },
        },
      });
      this.options.logger.info("released the lease");
    } catch (err) {
      this.options.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not release the lease",
      );
    }
  }
}
