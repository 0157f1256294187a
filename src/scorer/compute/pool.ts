import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { ModelFormatOption } from "../../contract/model-format.js";
import { ApiError } from "../errors.js";
import type { Compute, ComputeModel } from "./compute.js";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.js";
import { taskTransferables, type ComputeResult, type ComputeTask } from "./tasks.js";

/**
 * The scorer's compute on worker threads: a fixed number of workers, each
 * with its own copy of every served model, fed from one bounded queue.
 *
 * - Model swaps: `load` sends the model file to the workers one at a time
 *   (so the others keep serving while one builds its copy) and resolves
 *   once every worker holds it; only then does the scorer swap it in. Each
 *   job carries the generation of the model its request leased, so a
 *   request never mixes versions; `release` retires a generation after the
 *   jobs sent before it (messages to a worker are handled in order).
 * - Limits: at most `queueLimit` jobs wait; past that a job is refused at
 *   once with 503 `overloaded` (`Retry-After: 1`). A worker takes up to
 *   `maxBatch` waiting jobs of one generation per batch.
 * - Failures: a worker that dies fails its running jobs with 503
 *   `compute_failed` and is replaced; the replacement loads every live
 *   generation before it takes jobs. A worker dying while it loads a new
 *   generation refuses that model (the last good one keeps serving), so a
 *   model that kills workers cannot make them restart forever. Replacements
 *   back off (doubling, up to `MAX_RESPAWN_DELAY_MS`) while workers keep
 *   dying without finishing a batch.
 */

export interface WorkerPoolOptions {
  readonly size: number;
  readonly queueLimit: number;
  /** URL of the module exporting the `kernel` the workers load. */
  readonly kernelModule: string;
  readonly log: Logger;
  /** @default DEFAULT_MAX_BATCH */
  readonly maxBatch?: number;
  /** Called when a worker dies unexpectedly (for the restart counter). */
  readonly onWorkerExit?: (code: number) => void;
}

/** Jobs one worker takes at once when they queue up. */
export const DEFAULT_MAX_BATCH = 8;
export const MAX_RESPAWN_DELAY_MS = 5000;
const WORKER_URL = new URL("./worker.js", import.meta.url);

interface Job {
  readonly gen: number;
  readonly task: ComputeTask;
  readonly resolve: (result: ComputeResult) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  /** Generations this worker has acknowledged. */
  readonly models: Set<number>;
  /** Generation it is loading now, if any. */
  loading: number | null;
  running: { readonly batch: number; readonly jobs: readonly Job[] } | null;
  exited: boolean;
}

interface Generation {
  readonly bytes: Uint8Array;
  readonly format: ModelFormatOption;
  /** Set while `load` waits for every worker to hold it. */
  pending: { resolve: () => void; reject: (err: Error) => void } | null;
}

export class WorkerPool implements Compute {
  readonly #options: WorkerPoolOptions;
  readonly #maxBatch: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  readonly #generations = new Map<number, Generation>();
  #nextGen = 1;
  #nextBatch = 1;
  #closed = false;
  #started = false;
  /** Workers that died since a batch last completed: drives the respawn delay. */
  #crashStreak = 0;
  readonly #respawns = new Set<NodeJS.Timeout>();

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError("pool size must be ≥ 1");
    this.#options = options;
    this.#maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  }

  /** Live workers, jobs waiting and running, batches sent so far, live generations (for tests and logs). */
  stats(): { workers: number; queued: number; running: number; batches: number; generations: number[] } {
    return {
      workers: this.#slots.length,
      queued: this.#queue.length,
      running: this.#slots.reduce((n, s) => n + (s.running?.jobs.length ?? 0), 0),
      batches: this.#nextBatch - 1,
      generations: [...this.#generations.keys()],
    };
  }

  /** Generations each live worker holds (tests: a swap reached every worker; a retired one left them). */
  workerModels(): number[][] {
    return this.#slots.map((s) => [...s.models].sort((a, b) => a - b));
  }

  load(bytes: Uint8Array, format: ModelFormatOption): Promise<ComputeModel> {
    if (this.#closed) return Promise.reject(new Error("compute pool is closed"));
    // Workers start with the first model, so a scorer that never loads one never spawns them.
    if (!this.#started) {
      this.#started = true;
      for (let i = 0; i < this.#options.size; i++) this.#spawn();
    }
    const gen = this.#nextGen++;
    return new Promise<void>((resolve, reject) => {
      this.#generations.set(gen, { bytes, format, pending: { resolve, reject } });
      this.#advance();
    }).then(() => this.#handle(gen));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#respawns) clearTimeout(t);
    this.#respawns.clear();
    const closing = new ApiError("shutting_down", "the scorer is shutting down");
    for (const job of this.#queue.splice(0)) job.reject(closing);
    for (const g of this.#generations.values()) g.pending?.reject(new Error("compute pool is closed"));
    this.#generations.clear();
    const slots = this.#slots.splice(0);
    for (const s of slots) {
      for (const job of s.running?.jobs ?? []) job.reject(closing);
      s.running = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #handle(gen: number): ComputeModel {
    return {
      run: (task) => this.#run(gen, task),
      release: () => this.#retire(gen),
    };
  }

  #run(gen: number, task: ComputeTask): Promise<ComputeResult> {
    if (this.#closed) return Promise.reject(new ApiError("shutting_down", "the scorer is shutting down"));
    if (!this.#generations.has(gen)) return Promise.reject(new Error(`model generation ${gen} is retired`));
    if (this.#queue.length >= this.#options.queueLimit)
      return Promise.reject(
        new ApiError(
          "overloaded",
          `compute queue full (${this.#options.queueLimit} requests waiting for ${this.#slots.length} workers): retry later`,
          { queue_limit: this.#options.queueLimit, workers: this.#slots.length },
          { "Retry-After": "1" },
        ),
      );
    return new Promise<ComputeResult>((resolve, reject) => {
      this.#queue.push({ gen, task, resolve, reject });
      this.#dispatch();
    });
  }

  #retire(gen: number): void {
    const g = this.#generations.get(gen);
    if (g === undefined) return;
    this.#generations.delete(gen);
    g.pending?.reject(new Error(`model generation ${gen} retired before it loaded`));
    // Jobs still queued for it cannot run any more (their lease is gone, which callers never do).
    for (let i = this.#queue.length - 1; i >= 0; i--)
      if (this.#queue[i]!.gen === gen)
        this.#queue.splice(i, 1)[0]!.reject(new Error(`generation ${gen} retired`));
    for (const s of this.#slots)
      if (s.models.delete(gen) || s.loading === gen) this.#post(s, { type: "retire", gen });
  }

  #spawn(): void {
    const init: WorkerInit = { kernelModule: this.#options.kernelModule };
    const worker = new Worker(WORKER_URL, { workerData: init });
    worker.unref();
    const slot: Slot = { worker, models: new Set(), loading: null, running: null, exited: false };
    worker.on("message", (m: FromWorker) => this.#onMessage(slot, m));
    worker.on("error", (err: Error) =>
      this.#options.log.error({ err: err.message }, "compute worker failed"),
    );
    worker.on("exit", (code) => this.#onExit(slot, code));
    this.#slots.push(slot);
    this.#advance();
  }

  #post(slot: Slot, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!slot.exited) slot.worker.postMessage(message, transfer);
  }

  /**
   * Moves loads forward: a worker that holds every older generation and is
   * not loading gets the oldest one it lacks; pending loads held by every
   * worker resolve. Workers load one at a time per generation, so the
   * others keep serving during a swap.
   */
  #advance(): void {
    for (const [gen, g] of this.#generations) {
      const lacking = this.#slots.filter((s) => !s.models.has(gen));
      if (g.pending !== null && lacking.length === 0 && this.#slots.length > 0) {
        const { resolve } = g.pending;
        g.pending = null;
        resolve();
        continue;
      }
      // One worker at a time builds a new generation; a replacement catches up at once.
      const busyLoading = this.#slots.some((s) => s.loading === gen);
      for (const s of lacking) {
        if (s.loading !== null) continue;
        const fresh = s.models.size === 0;
        if (busyLoading && !fresh) continue;
        s.loading = gen;
        this.#post(s, { type: "load", gen, bytes: g.bytes, format: g.format });
        if (!fresh) break;
      }
    }
    this.#dispatch();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      // A loading worker is busy building its copy: jobs sent now would wait behind it.
      if (slot.running !== null || slot.loading !== null || slot.exited || this.#queue.length === 0) continue;
      const jobs: Job[] = [];
      let gen: number | undefined;
      for (let i = 0; i < this.#queue.length && jobs.length < this.#maxBatch;) {
        const job = this.#queue[i]!;
        if (slot.models.has(job.gen) && (gen === undefined || job.gen === gen)) {
          gen = job.gen;
          jobs.push(job);
          this.#queue.splice(i, 1);
        } else i++;
      }
      if (gen === undefined) continue;
      const batch = this.#nextBatch++;
      slot.running = { batch, jobs };
      const tasks = jobs.map((j) => j.task);
      this.#post(slot, { type: "run", batch, gen, tasks }, taskTransferables(tasks));
    }
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    switch (m.type) {
      case "loaded":
        slot.loading = null;
        if (this.#generations.has(m.gen)) slot.models.add(m.gen);
        else this.#post(slot, { type: "retire", gen: m.gen }); // retired while it loaded
        break;
      case "loadFailed": {
        slot.loading = null;
        if (this.#generations.get(m.gen)?.pending != null)
          this.#refuse(m.gen, new Error(`compute worker could not load the model: ${m.message}`));
        else if (this.#generations.has(m.gen)) {
          // A replacement that cannot load a model already served: replace it again (with backoff).
          this.#options.log.error(
            { gen: m.gen, err: m.message },
            "compute worker could not load the served model",
          );
          slot.exited = true;
          void slot.worker.terminate();
        }
        break;
      }
      case "done":
      case "failed": {
        const running = slot.running;
        if (running === null || running.batch !== m.batch) return;
        slot.running = null;
        if (m.type === "done") {
          this.#crashStreak = 0;
          running.jobs.forEach((job, i) => {
            const r = m.results[i];
            if (r === undefined) job.reject(new Error("compute worker returned too few results"));
            else job.resolve(r);
          });
        } else {
          this.#options.log.error({ err: m.message }, "compute batch failed");
          for (const job of running.jobs) job.reject(new Error(m.message));
        }
        break;
      }
    }
    this.#advance();
  }

  /** A generation no worker can load: its `load` rejects and it is forgotten. */
  #refuse(gen: number, err: Error): void {
    const g = this.#generations.get(gen);
    if (g?.pending == null) return; // already live: a replacement failing to load it is a crash case
    g.pending.reject(err);
    this.#generations.delete(gen);
    for (const s of this.#slots) if (s.models.delete(gen)) this.#post(s, { type: "retire", gen });
  }

  #onExit(slot: Slot, code: number): void {
    slot.exited = true;
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    if (this.#closed) return;
    this.#options.log.error(
      { code, running: slot.running?.jobs.length ?? 0, loading: slot.loading },
      "compute worker exited; replacing it",
    );
    this.#options.onWorkerExit?.(code);
    for (const job of slot.running?.jobs ?? [])
      job.reject(
        new ApiError("compute_failed", "the compute worker running this request stopped; retry", {
          exit_code: code,
        }),
      );
    slot.running = null;
    if (slot.loading !== null)
      this.#refuse(
        slot.loading,
        new Error(`a compute worker stopped (exit ${code}) while loading the model`),
      );
    const delay = this.#crashStreak === 0 ? 0 : Math.min(MAX_RESPAWN_DELAY_MS, 50 * 2 ** this.#crashStreak);
    this.#crashStreak++;
    const timer = setTimeout(() => {
      this.#respawns.delete(timer);
      if (!this.#closed) this.#spawn();
    }, delay);
    timer.unref();
    this.#respawns.add(timer);
    this.#advance();
  }
}
