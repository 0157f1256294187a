/**
 * Every environment variable a MAIE process reads, each name written once.
 * The operator sets some of them in the containers it creates and the
 * `maie` commands read them: both sides import the tables below, so the
 * compiler keeps writer and reader in step. Add a variable to `ENV`, then to
 * the table of each process that reads it (test/unit/contract checks that
 * every name is unique and used).
 */
export const ENV = {
  dataDir: "MAIE_DATA_DIR",
  backupsDir: "MAIE_BACKUPS_DIR",
  modelPath: "MAIE_MODEL_PATH",
  modelFormat: "MAIE_MODEL_FORMAT",
  modelUri: "MAIE_MODEL_URI",
  modelSha256: "MAIE_MODEL_SHA256",
  modelPollSeconds: "MAIE_MODEL_POLL_SECONDS",
  pricesUri: "MAIE_PRICES_URI",
  panelStore: "MAIE_PANEL_STORE",
  panelPollSeconds: "MAIE_PANEL_POLL_SECONDS",
  logLevel: "MAIE_LOG_LEVEL",
  logFormat: "MAIE_LOG_FORMAT",
  scorerHost: "MAIE_SCORER_HOST",
  scorerPort: "MAIE_SCORER_PORT",
  scorerMetricsPort: "MAIE_SCORER_METRICS_PORT",
  expectedPath: "MAIE_EXPECTED_PATH",
  featuresPath: "MAIE_FEATURES_PATH",
  readinessRequiresModel: "MAIE_READINESS_REQUIRES_MODEL",
  authTokenFile: "MAIE_AUTH_TOKEN_FILE",
  bodyLimitBytes: "MAIE_BODY_LIMIT_BYTES",
  requestTimeoutMs: "MAIE_REQUEST_TIMEOUT_MS",
  watchPollMs: "MAIE_WATCH_POLL_MS",
  explainCacheSize: "MAIE_EXPLAIN_CACHE_SIZE",
  shutdownGraceMs: "MAIE_SHUTDOWN_GRACE_MS",
  scorerComputeWorkers: "MAIE_SCORER_COMPUTE_WORKERS",
  scorerComputeQueue: "MAIE_SCORER_COMPUTE_QUEUE",
  backupRetentionDays: "MAIE_BACKUP_RETENTION_DAYS",
  reportsRetentionDays: "MAIE_REPORTS_RETENTION_DAYS",
  backupVerify: "MAIE_BACKUP_VERIFY",
  objectStoreEndpoint: "MAIE_OBJECT_STORE_ENDPOINT",
  objectStoreBucket: "MAIE_OBJECT_STORE_BUCKET",
  objectStorePrefix: "MAIE_OBJECT_STORE_PREFIX",
  objectStoreRegion: "MAIE_OBJECT_STORE_REGION",
  objectStorePathStyle: "MAIE_OBJECT_STORE_PATH_STYLE",
  objectStoreCaBundle: "MAIE_OBJECT_STORE_CA_BUNDLE",
  awsAccessKeyId: "AWS_ACCESS_KEY_ID",
  awsSecretAccessKey: "AWS_SECRET_ACCESS_KEY",
  awsSessionToken: "AWS_SESSION_TOKEN",
  kubeconfig: "KUBECONFIG",
  watchNamespace: "MAIE_WATCH_NAMESPACE",
  operatorMetricsPort: "MAIE_OPERATOR_METRICS_PORT",
  operatorMetricsBindAddress: "MAIE_OPERATOR_METRICS_BIND_ADDRESS",
  operatorConcurrency: "MAIE_OPERATOR_CONCURRENCY",
  operatorMaxInFlight: "MAIE_OPERATOR_MAX_IN_FLIGHT",
  operatorServiceAccountDir: "MAIE_OPERATOR_SERVICE_ACCOUNT_DIR",
  operatorResyncSeconds: "MAIE_OPERATOR_RESYNC_SECONDS",
  operatorCapabilityRecheckSeconds: "MAIE_OPERATOR_CAPABILITY_RECHECK_SECONDS",
  operatorLeaderElection: "MAIE_OPERATOR_LEADER_ELECTION",
  podNamespace: "POD_NAMESPACE",
  operatorLeaseName: "MAIE_OPERATOR_LEASE_NAME",
  podName: "POD_NAME",
  operatorImage: "MAIE_OPERATOR_IMAGE",
  cache: "MAIE_CACHE",
  tiedParent: "MAIE_TIED_PARENT",
  nodeObjectStoreEndpoint: "MAIE_NODE_OBJECT_STORE_ENDPOINT",
  nodeMlflowTrackingUri: "MAIE_NODE_MLFLOW_TRACKING_URI",
  mlflowTrackingUri: "MLFLOW_TRACKING_URI",
  mlflowTrackingToken: "MLFLOW_TRACKING_TOKEN",
  mlflowTrackingUsername: "MLFLOW_TRACKING_USERNAME",
  mlflowTrackingPassword: "MLFLOW_TRACKING_PASSWORD",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** `maie scorer`, keyed by its config key (src/scorer/config.ts binds the keys to its schema). */
export const SCORER_ENV = {
  dataDir: ENV.dataDir,
  host: ENV.scorerHost,
  port: ENV.scorerPort,
  metricsPort: ENV.scorerMetricsPort,
  modelPath: ENV.modelPath,
  modelFormat: ENV.modelFormat,
  modelUri: ENV.modelUri,
  modelSha256: ENV.modelSha256,
  modelPollSeconds: ENV.modelPollSeconds,
  expectedPath: ENV.expectedPath,
  featuresPath: ENV.featuresPath,
  panelStore: ENV.panelStore,
  panelPollSeconds: ENV.panelPollSeconds,
  readinessRequiresModel: ENV.readinessRequiresModel,
  tokenFile: ENV.authTokenFile,
  logLevel: ENV.logLevel,
  bodyLimitBytes: ENV.bodyLimitBytes,
  requestTimeoutMs: ENV.requestTimeoutMs,
  watchPollMs: ENV.watchPollMs,
  explainCacheSize: ENV.explainCacheSize,
  shutdownGraceMs: ENV.shutdownGraceMs,
  computeWorkers: ENV.scorerComputeWorkers,
  computeQueueLimit: ENV.scorerComputeQueue,
} as const;

/**
 * The object store, read by every process that fetches or writes objects
 * (scorer, pipeline, backup, restore). The AWS_* names are the SDK's own:
 * when they are unset the SDK's default chain (IRSA, Pod Identity, instance
 * role) supplies credentials.
 */
export const OBJECT_STORE_ENV = {
  endpoint: ENV.objectStoreEndpoint,
  bucket: ENV.objectStoreBucket,
  prefix: ENV.objectStorePrefix,
  region: ENV.objectStoreRegion,
  pathStyle: ENV.objectStorePathStyle,
  caBundle: ENV.objectStoreCaBundle,
  accessKeyId: ENV.awsAccessKeyId,
  secretAccessKey: ENV.awsSecretAccessKey,
  sessionToken: ENV.awsSessionToken,
} as const;

/**
 * The MLflow Model Registry, read by every process that fetches a
 * `models:/` model (scorer, pipeline). The names are MLflow's own client's:
 * a token is sent as a Bearer token, a username and password as Basic auth.
 */
export const MLFLOW_ENV = {
  trackingUri: ENV.mlflowTrackingUri,
  token: ENV.mlflowTrackingToken,
  username: ENV.mlflowTrackingUsername,
  password: ENV.mlflowTrackingPassword,
} as const;

/**
 * `maie pipeline run` (the pipeline CronJob sets dataDir, the model's source
 * and format, the prices URI and where panels are published).
 */
export const PIPELINE_ENV = {
  dataDir: ENV.dataDir,
  pricesUri: ENV.pricesUri,
  panelStore: ENV.panelStore,
  modelPath: ENV.modelPath,
  modelFormat: ENV.modelFormat,
  modelUri: ENV.modelUri,
  modelSha256: ENV.modelSha256,
  logFormat: ENV.logFormat,
} as const;

/** `maie backup` (the backup CronJob sets all but logFormat). */
export const BACKUP_ENV = {
  dataDir: ENV.dataDir,
  backupsDir: ENV.backupsDir,
  retentionDays: ENV.backupRetentionDays,
  reportsRetentionDays: ENV.reportsRetentionDays,
  verify: ENV.backupVerify,
  logFormat: ENV.logFormat,
} as const;

/** `maie restore`. */
export const RESTORE_ENV = {
  dataDir: ENV.dataDir,
  backupsDir: ENV.backupsDir,
  logFormat: ENV.logFormat,
} as const;

/** `maie features`. */
export const FEATURES_ENV = { dataDir: ENV.dataDir } as const;

/** `maie operator`, keyed by its config key (src/operator/config.ts binds the keys to its schema). */
export const OPERATOR_ENV = {
  kubeconfig: ENV.kubeconfig,
  serviceAccountDir: ENV.operatorServiceAccountDir,
  watchNamespace: ENV.watchNamespace,
  metricsPort: ENV.operatorMetricsPort,
  metricsBindAddress: ENV.operatorMetricsBindAddress,
  concurrency: ENV.operatorConcurrency,
  maxInFlight: ENV.operatorMaxInFlight,
  resyncSeconds: ENV.operatorResyncSeconds,
  capabilityRecheckSeconds: ENV.operatorCapabilityRecheckSeconds,
  leaderElection: ENV.operatorLeaderElection,
  leaseNamespace: ENV.podNamespace,
  leaseName: ENV.operatorLeaseName,
  identity: ENV.podName,
  image: ENV.operatorImage,
  logLevel: ENV.logLevel,
} as const;

/** `maie controlplane` (local development): the binary cache and the tied-process guard. */
export const DEV_ENV = {
  cache: ENV.cache,
  tiedParent: ENV.tiedParent,
  /** Printed by `maie controlplane --object-store`: the local S3 server as the nodes' pods reach it. */
  nodeObjectStoreEndpoint: ENV.nodeObjectStoreEndpoint,
  /** Printed by `maie controlplane --mlflow`: the local MLflow server as the nodes' pods reach it. */
  nodeMlflowTrackingUri: ENV.nodeMlflowTrackingUri,
} as const;

/** Every per-process table, for the completeness test. */
export const PROCESS_ENV = {
  scorer: SCORER_ENV,
  pipeline: PIPELINE_ENV,
  backup: BACKUP_ENV,
  restore: RESTORE_ENV,
  features: FEATURES_ENV,
  operator: OPERATOR_ENV,
  objectStore: OBJECT_STORE_ENV,
  mlflow: MLFLOW_ENV,
  dev: DEV_ENV,
} as const;

/** An environment value, with the empty string counted as unset. */
export function envValue(
  env: Readonly<Record<string, string | undefined>>,
  name: EnvName,
): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}
