/**
 * Helper process for the "killed owner" test: starts a control plane with one
 * node, prints its network namespace and directory as one JSON line, then
 * waits to be killed.
 */
import { ControlPlane } from "../../tools/cluster/controlplane.js";
import { nodeImageArchives } from "../../tools/cluster/node-images.js";

const cp = await ControlPlane.start({ nodes: 1, images: nodeImageArchives() });
process.stdout.write(`${JSON.stringify({ netns: cp.netns, dir: cp.dir })}\n`);
await new Promise(() => undefined);
