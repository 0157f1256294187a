/**
 * Helper process for the "no orphans" test: starts a control plane, prints the
 * pids of its processes as one JSON line, then waits to be killed.
 */
import { ControlPlane } from "../../tools/cluster/controlplane.js";

const cp = await ControlPlane.start({ controllerManager: false });
process.stdout.write(`${JSON.stringify(cp.processIds())}\n`);
await new Promise(() => undefined);
