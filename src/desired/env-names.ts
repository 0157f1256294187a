/**
 * Environment variables the operator sets in the containers it creates. Each
 * name must be one the `maie` command in that container reads; the unit
 * tests pin the contract.
 */

/** `maie scorer` (see src/scorer/config.ts, ENV_VARS). */
export const SCORER_ENV = {
  dataDir: "MAIE_DATA_DIR",
  port: "MAIE_SCORER_PORT",
  modelPath: "MAIE_MODEL_PATH",
  modelFormat: "MAIE_MODEL_FORMAT",
  readinessRequiresModel: "MAIE_READINESS_REQUIRES_MODEL",
  logLevel: "MAIE_LOG_LEVEL",
  tokenFile: "MAIE_AUTH_TOKEN_FILE",
} as const;

/** `maie pipeline run` (see src/cli/commands/pipeline.ts). */
export const PIPELINE_ENV = {
  dataDir: "MAIE_DATA_DIR",
  modelPath: "MAIE_MODEL_PATH",
  modelFormat: "MAIE_MODEL_FORMAT",
} as const;

/** `maie backup run` (see src/cli/commands/backup.ts). */
export const BACKUP_ENV = {
  dataDir: "MAIE_DATA_DIR",
  backupsDir: "MAIE_BACKUPS_DIR",
  retentionDays: "MAIE_BACKUP_RETENTION_DAYS",
  reportsRetentionDays: "MAIE_REPORTS_RETENTION_DAYS",
  verify: "MAIE_BACKUP_VERIFY",
} as const;
