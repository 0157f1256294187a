import type { ControlPlane } from "../../tools/cluster/controlplane.js";

export default async function globalTeardown(): Promise<void> {
  const controlPlane = (globalThis as { __maieControlPlane?: ControlPlane }).__maieControlPlane;
  await controlPlane?.stop({ removeDir: true });
}
