import type { ComputeKernel } from "../../../src/scorer/compute/compute.js";
import { fakeBuilder, fakeSources } from "./fakes.js";

/**
 * The fakes as a compute kernel, for tests of the worker pool: the same
 * linear model and feature builder as in-process, plus two ways to kill the
 * worker the way a crash would (exit code 7 while running, 9 while loading).
 */

/** A posted ticker that makes the worker running it exit. */
export const CRASH_TICKER = "CRASH";
/** A key in a fake model file that makes the worker loading it exit. */
export const CRASH_ON_LOAD = "crash_on_load";

export const kernel: ComputeKernel = {
  async loadModel(bytes, format) {
    const text = new TextDecoder().decode(bytes);
    if (text.includes(CRASH_ON_LOAD)) process.exit(9);
    return fakeSources.loadModel(bytes, format);
  },
  features: {
    ...fakeBuilder,
    build(prices) {
      if (Object.hasOwn(prices, CRASH_TICKER)) process.exit(7);
      return fakeBuilder.build(prices);
    },
  },
};

export const FAKE_KERNEL_MODULE = import.meta.url;
