import { parentPort, workerData } from "node:worker_threads";
import type { ExplainableModel } from "../../treeshap/model.js";
import type { ComputeKernel } from "./compute.js";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.js";
import { resultTransferables, runTasks } from "./tasks.js";

/**
 * A compute worker: its own copy of each served model (its own WASM
 * instance, built once per model file, never per request) and the feature
 * builder, running the batches the pool sends. See `protocol.ts`.
 */

const port = parentPort;
if (port === null) throw new Error("compute worker: not started as a worker thread");
const init = workerData as WorkerInit;
const kernel: Promise<ComputeKernel> = import(init.kernelModule).then(
  (m: { readonly kernel: ComputeKernel }) => m.kernel,
);
const models = new Map<number, ExplainableModel>();

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function handle(k: ComputeKernel, message: ToWorker): Promise<void> {
  switch (message.type) {
    case "load": {
      try {
        models.set(message.gen, await k.loadModel(message.bytes, message.format));
        send({ type: "loaded", gen: message.gen });
      } catch (err) {
        send({
          type: "loadFailed",
          gen: message.gen,
          message: err instanceof Error ? err.message : String(err),
        });
      }
      return;
    }
    case "retire": {
      models.get(message.gen)?.dispose();
      models.delete(message.gen);
      return;
    }
    case "run": {
      const model = models.get(message.gen);
      try {
        if (model === undefined) throw new Error(`model generation ${message.gen} is not loaded here`);
        const results = runTasks(model, k.features, message.tasks);
        send({ type: "done", batch: message.batch, results }, resultTransferables(results));
      } catch (err) {
        send({
          type: "failed",
          batch: message.batch,
          message: err instanceof Error ? err.message : String(err),
        });
      }
      return;
    }
  }
}

// Handled strictly in arrival order: each message waits for the one before.
let queue: Promise<void> = Promise.resolve();
port.on("message", (message: ToWorker) => {
  queue = queue.then(async () => handle(await kernel, message));
});
