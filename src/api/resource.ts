import type { MaieDeploymentSpec } from "./spec.js";
import type { MaieDeploymentStatus } from "./status.js";

/** The object as the operator sees it after parsing `spec` through the schema. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface MaieDeployment {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: MaieDeploymentSpec;
  status?: MaieDeploymentStatus;
}
