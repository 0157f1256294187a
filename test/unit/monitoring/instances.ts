import { CUSTOM_SPEC } from "../desired/helpers.js";
import { sampleResource } from "../api/fixtures.js";

/** The two resources the rule tests run on, by name. */
export function monitoredInstances() {
  return {
    default: sampleResource({}),
    customised: sampleResource(CUSTOM_SPEC, "beta-v2", "quant-prod"),
  };
}
