import { z } from "zod";

/**
 * The observed state of a MaieDeployment (design §4). The operator
 * rebuilds it from the world on every reconcile and writes it only through
 * the /status subresource.
 */

export const CONDITION_TYPES = [
  "Ready",
  "Progressing",
  "Degraded",
  "Available",
  "PipelineHealthy",
  "BackupHealthy",
  "MonitoringConfigured",
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export const Condition = z
  .object({
    type: z.string().min(1).max(316).describe("Condition type, e.g. Ready."),
    status: z.enum(["True", "False", "Unknown"]).describe("True, False or Unknown."),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe("Machine-readable CamelCase reason."),
    message: z.string().max(32768).describe("Human-readable explanation."),
    lastTransitionTime: z.string().describe("When the status last changed (RFC 3339)."),
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("The .metadata.generation the condition was computed for."),
  })
  .describe("A metav1.Condition.");
export type Condition = z.output<typeof Condition>;

export const ChildStatus = z
  .object({
    kind: z.string().max(63).describe("Kind of the child object."),
    name: z.string().max(253).describe("Name of the child object."),
    applied: z.boolean().describe("True when the last apply of this child succeeded."),
  })
  .describe("One child object managed for this resource.");
export type ChildStatus = z.output<typeof ChildStatus>;

export const ServedModel = z
  .object({
    source: z
      .string()
      .max(2048)
      .describe("Where the model comes from: spec.model.uri, or the path on the data volume."),
    format: z.string().max(16).describe("Model format asked for (auto, lightgbm, xgboost)."),
    sha256: z
      .string()
      .max(64)
      .optional()
      .describe("SHA-256 of the model the scorer pods serve (when they agree)."),
    digest: z
      .string()
      .max(19)
      .optional()
      .describe("sha256: and the first 12 hex digits of sha256, for kubectl get."),
    etag: z.string().max(256).optional().describe("ETag of the object served (uri mode)."),
    versionId: z.string().max(1024).optional().describe("Object version served, on a versioned bucket."),
    registry: z
      .object({
        name: z.string().max(256).describe("The registered model's name."),
        alias: z
          .string()
          .max(256)
          .optional()
          .describe("The alias followed (unset when the URI pins a version)."),
        version: z.string().max(16).describe("The version the URI resolved to, the one served."),
        runId: z.string().max(64).optional().describe("The MLflow run that logged the version."),
        ref: z.string().max(300).describe("name@alias→vN, or name/vN when pinned, for kubectl get."),
      })
      .optional()
      .describe("The MLflow registered model version the pods serve (models:/ URIs)."),
    loadedAt: z.string().optional().describe("When the pods loaded it (RFC 3339, the earliest)."),
    serving: z
      .string()
      .max(32)
      .optional()
      .describe("Scorer pods serving sha256 / pods reporting (e.g. 2/2)."),
    message: z
      .string()
      .max(4096)
      .optional()
      .describe("Why no model or more than one model is served (the pods' own words)."),
  })
  .describe("The model the scorer pods report serving, read from their /ready.");
export type ServedModel = z.output<typeof ServedModel>;

export const MaieDeploymentStatus = z
  .object({
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("The .metadata.generation the status was computed for."),
    conditions: z
      .array(Condition)
      .max(32)
      .optional()
      .meta({
        description:
          "Current conditions: Ready, Progressing, Degraded, Available, PipelineHealthy, BackupHealthy, MonitoringConfigured.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      }),
    replicas: z.number().int().min(0).optional().describe("Scorer pods that exist (scale subresource)."),
    readyReplicas: z.number().int().min(0).optional().describe("Scorer pods that are ready."),
    replicaSummary: z.string().max(32).optional().describe("ready/desired scorer pods, as kubectl shows it."),
    selector: z
      .string()
      .max(1024)
      .optional()
      .describe("Label selector of the scorer pods (scale subresource, for the HPA)."),
    endpoint: z.string().max(1024).optional().describe("In-cluster URL of the scoring API."),
    model: ServedModel.optional(),
    lastPipelineSuccess: z
      .string()
      .optional()
      .describe("Completion time of the last successful pipeline Job (RFC 3339)."),
    lastBackupSuccess: z
      .string()
      .optional()
      .describe("Completion time of the last successful backup Job (RFC 3339)."),
    children: z
      .array(ChildStatus)
      .max(64)
      .optional()
      .describe("Child objects and whether their last apply succeeded."),
  })
  .describe("Observed state, written by the operator.");
export type MaieDeploymentStatus = z.output<typeof MaieDeploymentStatus>;
