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
    model: z
      .string()
      .max(1024)
      .optional()
      .describe("Model file served (path on the data volume and format)."),
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
