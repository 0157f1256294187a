import type { ControlPlane } from "../../tools/cluster/controlplane.js";

export default async function e2eTeardown(): Promise<void> {
  const cluster = (globalThis as { __maieE2eCluster?: ControlPlane }).__maieE2eCluster;
  await cluster?.stop({ removeDir: true });
}
