import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import {
  DEFAULT_MODEL_PATH,
  DEFAULT_PANEL_STORE,
  EXPECTED_LATEST,
  FEATURES_LATEST,
  PANEL_STORES,
} from "../contract/data-layout.js";
import { SCORER_ENV } from "../contract/env.js";
import { MODEL_URI_FORMS, MODEL_URI_PATTERN } from "../model-source/source.js";
import { DEFAULT_MODEL_FORMAT, MODEL_FORMAT_OPTIONS } from "../contract/model-format.js";

/**
 * Scorer configuration: from `MAIE_*` environment variables, overridden by
 * command-line flags, validated once at start. Every variable is documented
 * in `.env.example`.
 */

const boolFromString = z
  .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])])
  .transform((v) => v === true || v === "true" || v === "1" || v === "yes");

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const MAX_COMPUTE_WORKERS = 64;
export const DEFAULT_MAX_COMPUTE_WORKERS = 4;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const ScorerConfigSchema = z.object({
  /** Root of the data volume (models/, expected/, runs/). */
  dataDir: z.string().min(1, "must not be empty"),
  /** @default "0.0.0.0" */
  host: z.string().min(1).default("0.0.0.0"),
  /** @default 8000 (0 picks a free port) */
  port: intFrom(0, 65535).default(8000),
  /**
   * A second port for /health, /ready and /metrics (probes and scraping),
   * which the API port then no longer serves /metrics on. Unset: everything
   * on `port`. 0 picks a free port.
   */
  metricsPort: intFrom(0, 65535).optional(),
  /** Model file, relative to dataDir unless absolute. @default DEFAULT_MODEL_PATH */
  modelPath: z.string().min(1).default(DEFAULT_MODEL_PATH),
  /** @default DEFAULT_MODEL_FORMAT */
  modelFormat: z.enum(MODEL_FORMAT_OPTIONS).default(DEFAULT_MODEL_FORMAT),
  /** Fetch the model from this s3://, https:// or models:/ URI instead of modelPath (spec.model.uri). */
  modelUri: z.string().regex(MODEL_URI_PATTERN, `must be ${MODEL_URI_FORMS}`).optional(),
  /** Load only a model with this SHA-256 (spec.model.sha256). */
  modelSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits")
    .optional(),
  /** How often a modelUri is checked for a new object. @default 60 */
  modelPollSeconds: intFrom(1, 86_400).default(60),
  /** @default EXPECTED_LATEST */
  expectedPath: z.string().min(1).default(EXPECTED_LATEST),
  /** @default FEATURES_LATEST */
  featuresPath: z.string().min(1).default(FEATURES_LATEST),
  /**
   * Where the panels come from: files on the data volume (expectedPath,
   * featuresPath), or what the pipeline published through the object store
   * (its pointer, STORE_KEYS.pointer). @default "data-volume"
   */
  panelStore: z.enum(PANEL_STORES).default(DEFAULT_PANEL_STORE),
  /** How often the object store's panel pointer is checked (a conditional GET). @default 30 */
  panelPollSeconds: intFrom(1, 86_400).default(30),
  /** When false, a loaded expected panel alone makes the scorer ready. @default true */
  readinessRequiresModel: boolFromString.default(true),
  /** File holding the bearer token (a mounted Secret); unset disables auth. */
  tokenFile: z.string().min(1).optional(),
  /** @default "info" */
  logLevel: z.enum(LOG_LEVELS).default("info"),
  /** Largest accepted request body in bytes. @default 1048576 */
  bodyLimitBytes: intFrom(1, 256 * 1024 * 1024).default(1024 * 1024),
  /** Budget for one request, body included. @default 10000 */
  requestTimeoutMs: intFrom(1, 600_000).default(10_000),
  /** Stat poll interval, the fallback for fs.watch. @default 2000 */
  watchPollMs: intFrom(10, 3_600_000).default(2000),
  /** Local explanations kept in memory (0 disables the cache). @default 50000 */
  explainCacheSize: intFrom(0, 10_000_000).default(50_000),
  /** How long SIGTERM waits for in-flight requests. @default 10000 */
  shutdownGraceMs: intFrom(0, 600_000).default(10_000),
  /**
   * Worker threads for the per-request compute (features from posted
   * prices, TreeSHAP); each holds its own copy of the model. 0 computes on
   * the main thread. Unset: {@link defaultComputeWorkers}.
   */
  computeWorkers: intFrom(0, MAX_COMPUTE_WORKERS).optional(),
  /** Requests waiting for a compute worker at most; past it 503 `overloaded`. @default 128 */
  computeQueueLimit: intFrom(1, 100_000).default(128),
});

export type ScorerConfig = z.output<typeof ScorerConfigSchema>;

/**
 * Compute workers when none are configured: one per available CPU (Node's
 * count follows the container's CPU quota), at most
 * {@link DEFAULT_MAX_COMPUTE_WORKERS}: each worker holds a copy of the model
 * (about 100 MiB of RSS for the 500-tree benchmark model), and a pod without a CPU
 * limit would otherwise size the pool to the node.
 */
export function defaultComputeWorkers(availableCpus: number): number {
  return Math.max(1, Math.min(DEFAULT_MAX_COMPUTE_WORKERS, availableCpus));
}

/**
 * Environment variable for each config key: the contract's table, which the
 * compiler checks covers every key of the schema.
 */
export const ENV_VARS: { readonly [K in keyof ScorerConfig]: (typeof SCORER_ENV)[K] } = SCORER_ENV;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Merges env and flags (flags win; empty strings count as unset) and
 * validates. Throws `ConfigError` naming every bad key and its variable.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Partial<Record<keyof ScorerConfig, string | boolean>>> = {},
): ScorerConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(ENV_VARS)) {
    const value = env[envName];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  // Object.entries types away the optional keys' undefined, but parseArgs leaves unset flags as undefined keys.
  for (const [key, value] of Object.entries(flags) as [string, string | boolean | undefined][]) {
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const parsed = ScorerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "");
      const envName = key in ENV_VARS ? ENV_VARS[key as keyof ScorerConfig] : key;
      const message = issue.code === "invalid_type" && raw[key] === undefined ? "required" : issue.message;
      return `  ${key} (${envName}): ${message}`;
    });
    throw new ConfigError(`invalid scorer configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** A path from the config, resolved against the data directory unless absolute. */
export function dataPath(config: Pick<ScorerConfig, "dataDir">, path: string): string {
  return isAbsolute(path) ? path : resolve(config.dataDir, path);
}
