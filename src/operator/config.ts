import { hostname } from "node:os";
import { z } from "zod";
import { OPERATOR_ENV } from "../contract/env.js";
import { SERVICE_ACCOUNT_DIR } from "../kube/in-cluster.js";
import { IMAGE_REFERENCE_FORM, parseImageRef, splitImageRef } from "../util/image-ref.js";

/**
 * Operator settings from flags and environment (flags win), validated once at
 * start so a typo stops the process with a message instead of half-working.
 */
export const OperatorConfig = z.object({
  kubeconfig: z
    .string()
    .optional()
    .describe("Path to a kubeconfig; default: in-cluster, then KUBECONFIG, then ~/.kube/config."),
  serviceAccountDir: z
    .string()
    .default(SERVICE_ACCOUNT_DIR)
    .describe(
      "In a pod (KUBERNETES_SERVICE_HOST set): the directory of the service account token and ca.crt.",
    ),
  watchNamespace: z.string().optional().describe("Only watch this namespace (default: all namespaces)."),
  metricsPort: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8080)
    .describe("Port of /metrics, /healthz and /readyz (0 picks a free one)."),
  metricsBindAddress: z.string().default("0.0.0.0").describe("Address the metrics/probe server binds to."),
  concurrency: z.coerce.number().int().min(1).max(64).default(4).describe("Reconciles running at once."),
  maxInFlight: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(16)
    .describe(
      "API requests in flight at once, all reconciles together (watches not counted): the apiserver load the operator can cause.",
    ),
  resyncSeconds: z.coerce
    .number()
    .int()
    .min(5)
    .max(86400)
    .default(300)
    .describe("Every resource is reconciled at least this often."),
  capabilityRecheckSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .describe("How often to look for the Prometheus Operator API."),
  leaderElection: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true")
    .describe("Elect one active replica through a Lease (true/false)."),
  leaseNamespace: z
    .string()
    .default("default")
    .describe("Namespace of the leader Lease (in-cluster: the operator's own)."),
  leaseName: z.string().default("maie-operator-leader").describe("Name of the leader Lease."),
  identity: z
    .string()
    .default(() => `${hostname()}-${process.pid}`)
    .describe("This replica's identity in the Lease and in Events."),
  image: z
    .string()
    .refine((v) => parseImageRef(v) !== undefined, `must be ${IMAGE_REFERENCE_FORM}`)
    .default("ghcr.io/maie/maie:latest")
    .describe(
      "The operator's own image (repository[:tag][@sha256:<64 hex>]; pin a digest to fix the children's image too), used for the scorer/pipeline/backup containers unless a resource overrides it.",
    ),
  logLevel: z
    .enum(["debug", "info", "warn", "error"])
    .default("info")
    .describe("Log level (JSON logs on stdout)."),
});
export type OperatorConfig = z.output<typeof OperatorConfig>;

/** Environment variable for each config key (the table lives in src/contract/env.ts). */
export const ENV_NAMES: Record<keyof z.input<typeof OperatorConfig>, string> = OPERATOR_ENV;

/** Merges env and flag values (flags given as camelCase keys) and validates them. */
export function loadOperatorConfig(
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
): OperatorConfig {
  const merged: Record<string, string> = {};
  for (const [key, envName] of Object.entries(ENV_NAMES)) {
    const value = flags[key] ?? env[envName];
    if (value !== undefined && value !== "") merged[key] = value;
  }
  const result = OperatorConfig.safeParse(merged);
  if (!result.success) {
    const envNames = new Map<string, string>(Object.entries(ENV_NAMES));
    const problems = result.error.issues.map((i) => {
      const key = String(i.path[0] ?? "");
      return `--${kebab(key)} / ${envNames.get(key) ?? "?"}: ${i.message}`;
    });
    throw new Error(`invalid operator configuration:\n  ${problems.join("\n  ")}`);
  }
  return result.data;
}

export function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The repository and the tag-or-digest suffix of a valid image reference:
 * `r:1` gives tag `1`, `r@sha256:…` gives `sha256:…`, `r:1@sha256:…` gives
 * `1@sha256:…`, and a bare repository `latest` (see `joinImage`).
 */
export function splitImage(image: string): { repository: string; tag: string } {
  return splitImageRef(image);
}
