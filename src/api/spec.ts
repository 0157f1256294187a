import { z } from "zod";
import { DEFAULT_MODEL_PATH } from "../contract/data-layout.js";
import { DEFAULT_MODEL_FORMAT, MODEL_FORMAT_OPTIONS } from "../contract/model-format.js";
import {
  annotationMap,
  cronSchedule,
  kubernetesObject,
  labelMap,
  objectName,
  positiveQuantity,
  promDuration,
  resourceRequirements,
  secretCredentials,
} from "./schema-helpers.js";
import { TriState } from "./tri-state.js";
import { MLFLOW_ENV } from "../contract/env.js";
import { MODEL_URI_FORMS } from "../model-source/source.js";
import { REGISTRY_URI_PATTERN } from "../model-source/registry-uri.js";

/**
 * The desired state of a MaieDeployment (design §2). This zod schema is
 * the single source of truth: the CRD's OpenAPI schema is generated from it,
 * and the operator parses every object through it to get defaults and types.
 */

const PULL_POLICY = z.enum(["Always", "IfNotPresent", "Never"]);

export const ImageSpec = z
  .object({
    repository: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("Image repository. Default: the operator's own image (the embedded sidecar image)."),
    tag: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe(
        "Image tag (1.2.3), digest (sha256:<64 hex>) or both (1.2.3@sha256:<64 hex>). Default: the operator's own tag.",
      ),
    pullPolicy: PULL_POLICY.default("IfNotPresent").describe("When the kubelet pulls the image."),
  })
  .strict()
  .describe("Container image for the scorer, pipeline and backup containers.");

export const AppContainerSpec = z
  .object({
    image: z
      .string()
      .min(1)
      .max(512)
      .describe("Image of the main application container (e.g. an existing MAIE Python API)."),
    command: z
      .array(z.string().max(4096).describe("One element of the command."))
      .max(64)
      .optional()
      .describe("Entrypoint override."),
    args: z.array(z.string().max(4096).describe("One argument.")).max(256).optional().describe("Arguments."),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("Container port the app listens on, exposed by the Service as port 'app'."),
    env: z
      .array(kubernetesObject("A core/v1 EnvVar."))
      .max(256)
      .default([])
      .describe("Environment variables (core/v1 EnvVar)."),
    resources: resourceRequirements("Compute resources for the app container.").optional(),
  })
  .strict()
  .describe("Optional main container running beside the scorer and sharing the data volume at /data.");

export const ScorerSpec = z
  .object({
    port: z
      .number()
      .int()
      .min(1024)
      .max(65535)
      .default(8000)
      .describe("Port the scorer listens on; the Service names it 'http'."),
    resources: resourceRequirements("Compute resources for the scorer container.").prefault({
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { memory: "1Gi" },
    }),
    readinessRequiresModel: z
      .boolean()
      .default(true)
      .describe("If true, /ready needs a loaded model; if false, a loaded expected panel alone is enough."),
    auth: z
      .object({
        tokenSecretRef: z
          .object({
            name: objectName("Name of a Secret in the same namespace."),
            key: z
              .string()
              .min(1)
              .max(253)
              .default("token")
              .describe("Key in the Secret holding the bearer token."),
          })
          .strict()
          .describe(
            "Secret holding the bearer token required on every route except /health, /ready and /metrics.",
          ),
      })
      .strict()
      .optional()
      .describe("Optional bearer-token authentication."),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info").describe("Scorer log level."),
  })
  .strict()
  .describe("The scorer sidecar: the MAIE scoring API with SHAP explanations.");

export const MlflowSpec = z
  .object({
    trackingUri: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "must be http(s)://<host>[:<port>][/<path>]")
      .describe(
        "The MLflow tracking server that resolves models:/ URIs, e.g. http://mlflow.mlops:5000. The pods download the model through its artifact proxy (mlflow-artifacts:) or, for an s3:// artifact store, through spec.objectStore.",
      ),
    credentials: secretCredentials(
      `key ${MLFLOW_ENV.token} (sent as a Bearer token), or ${MLFLOW_ENV.username} and ${MLFLOW_ENV.password} (Basic auth)`,
    )
      .optional()
      .describe("Credentials for a tracking server that requires them."),
  })
  .strict()
  .describe("The MLflow Model Registry a models:/ uri is resolved in.");

export const ModelSpec = z
  .object({
    format: z
      .enum(MODEL_FORMAT_OPTIONS)
      .default(DEFAULT_MODEL_FORMAT)
      .describe("Model file format; auto decides from the file's content."),
    path: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[^/]/, "must be a relative path inside the data volume")
      .refine((p) => !/(^|\/)\.\.(\/|$)/.test(p), "must not contain '..'")
      .default(DEFAULT_MODEL_PATH)
      .describe("Model file, relative to the data volume. Unused when uri is set."),
    uri: z
      .string()
      .min(1)
      .max(2048)
      .regex(
        new RegExp(
          `^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^\\s]+|https://[^\\s/]+/[^\\s]*|${REGISTRY_URI_PATTERN})$`,
        ),
        { error: `must be ${MODEL_URI_FORMS}` },
      )
      .optional()
      .describe(
        "Where the scorer and the pipeline fetch the model from: s3://<bucket>/<key> (through spec.objectStore), https://<host>/<path>, or a registered model of the MLflow Model Registry (through mlflow): models:/<name>@<alias> follows the alias, models:/<name>/<version> pins a version, which never changes. Each pod keeps its own copy; a new object at the same URI, or a moved alias, is picked up within pollInterval unless sha256 or a version pins it. When unset, the model is read from path on the data volume.",
      ),
    mlflow: MlflowSpec.optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits")
      .optional()
      .describe(
        "Pins the model: only an object with this SHA-256 is loaded, so only a spec change rolls the model (the GitOps way). Requires uri.",
      ),
    pollInterval: promDuration(
      "How often the scorer checks uri for a new object (a conditional GET). Unused when sha256 pins the model.",
      "60s",
    ),
  })
  .strict()
  .meta({
    description:
      "The model: a file on the data volume (path), or an object fetched from uri and optionally pinned by sha256.",
    "x-kubernetes-validations": [
      {
        rule: "self.format != 'xgboost' || has(self.uri) || self.path.endsWith('.json') || self.path.endsWith('.ubj')",
        message: "an xgboost model must be a .json (XGBoost JSON) or .ubj (UBJSON) file",
      },
      {
        rule: "!self.path.matches('(^|/)[.][.](/|$)')",
        message: "model.path must stay inside the data volume (no '..')",
      },
      {
        rule: "!has(self.sha256) || has(self.uri)",
        message: "model.sha256 pins a fetched model: set model.uri too",
      },
      {
        rule: "!has(self.uri) || !self.uri.startsWith('models:/') || has(self.mlflow)",
        message: "model.uri models:/… is resolved by an MLflow tracking server: set model.mlflow.trackingUri",
      },
      {
        rule: "!has(self.mlflow) || (has(self.uri) && self.uri.startsWith('models:/'))",
        message: "model.mlflow is only used with a models:/ uri",
      },
    ],
  });

const ACCESS_MODE = z.enum(["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"]);

export const StorageSpec = z
  .object({
    data: z
      .object({
        size: positiveQuantity(
          "Requested size of the data volume (models/, expected/, reports/, prices/). Increases are applied; decreases are refused by Kubernetes.",
        ).default("10Gi"),
        storageClassName: z
          .string()
          .max(253)
          .optional()
          .describe("StorageClass; empty uses the cluster default."),
        accessModes: z
          .array(ACCESS_MODE.describe("A PersistentVolume access mode."))
          .min(1)
          .max(4)
          .default(["ReadWriteOnce"])
          .describe("Access modes of the data volume. Use ReadWriteMany when replicas run on several nodes."),
      })
      .strict()
      .prefault({})
      .describe("The data volume shared by the scorer, the pipeline and the backup job."),
    backups: z
      .object({
        size: positiveQuantity("Requested size of the backups volume.").default("20Gi"),
        storageClassName: z
          .string()
          .max(253)
          .optional()
          .describe("StorageClass; empty uses the cluster default."),
      })
      .strict()
      .prefault({})
      .describe("The volume backups are written to."),
    retainOnDelete: z
      .boolean()
      .default(true)
      .describe("If true, the PVCs have no owner reference and survive deletion of the MaieDeployment."),
  })
  .strict()
  .describe("Persistent volumes.");

const jobCommon = {
  resources: resourceRequirements("Compute resources for the job's container.").optional(),
  activeDeadlineSeconds: z
    .number()
    .int()
    .min(60)
    .max(604800)
    .default(3600)
    .describe("Seconds a run may take before it is stopped."),
  backoffLimit: z.number().int().min(0).max(10).default(2).describe("Retries of a failed run."),
  successfulJobsHistoryLimit: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(3)
    .describe("Finished successful Jobs kept."),
  failedJobsHistoryLimit: z.number().int().min(0).max(100).default(3).describe("Finished failed Jobs kept."),
};

export const PricesSpec = z
  .object({
    uri: z
      .string()
      .min(6)
      .max(2048)
      .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^\s]*$/, {
        error: "must be s3://<bucket>/<key> or s3://<bucket>/<prefix>/",
      })
      .describe(
        "Where each run reads its prices, through spec.objectStore: an object (s3://<bucket>/prices.csv, CSV or Parquet by its extension), or a prefix ending in '/' meaning the newest .csv or .parquet object under it. A missing or unreadable source fails the run and the previous panel keeps serving.",
      ),
  })
  .strict()
  .describe("Prices from the object store instead of prices/ on the data volume.");

export const PipelineSpec = z
  .object({
    schedule: cronSchedule("When the daily pipeline runs (cron, in timeZone).", "15 22 * * *"),
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_+\-/]+$/, "must be an IANA time zone such as UTC or America/New_York")
      .default("UTC")
      .describe("IANA time zone of the schedule."),
    suspend: z.boolean().default(false).describe("If true, no new pipeline runs start."),
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe("Image override for the pipeline container. Default: the scorer image."),
    command: z
      .array(z.string().max(4096).describe("One element of the command."))
      .max(64)
      .optional()
      .describe("Command override. Default: maie pipeline run."),
    args: z
      .array(z.string().max(4096).describe("One argument."))
      .max(256)
      .optional()
      .describe("Arguments override."),
    env: z
      .array(kubernetesObject("A core/v1 EnvVar."))
      .max(256)
      .default([])
      .describe("Extra environment variables (core/v1 EnvVar)."),
    envFrom: z
      .array(kubernetesObject("A core/v1 EnvFromSource."))
      .max(64)
      .default([])
      .describe("Extra environment sources (core/v1 EnvFromSource)."),
    prices: PricesSpec.optional(),
    ...jobCommon,
  })
  .strict()
  .describe("The daily pipeline CronJob: prices → features → scores → expected panel + SHAP → HTML report.");

export const BackupSpec = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("If true, a CronJob archives models/, expected/ and reports/ to the backups volume."),
    schedule: cronSchedule("When backups run (cron, in the pipeline's timeZone).", "0 23 * * *"),
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(30)
      .describe("Archives older than this many days are pruned."),
    reportsRetentionDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe("Reports older than this many days are left out of new archives and pruned."),
    verify: z
      .boolean()
      .default(true)
      .describe("If true, each new archive is re-read and its checksums verified."),
    ...jobCommon,
  })
  .strict()
  .describe("The backup CronJob.");

export const MonitoringSpec = z
  .object({
    serviceMonitor: z
      .object({
        enabled: TriState.default("Auto"),
        interval: promDuration("Scrape interval.", "30s"),
        labels: labelMap("Extra labels on the ServiceMonitor (e.g. release: prometheus)."),
      })
      .strict()
      .prefault({})
      .describe(
        "A ServiceMonitor (monitoring.coreos.com/v1) scraping /metrics on the scorer's management port (metrics).",
      ),
    alerts: z
      .object({
        enabled: TriState.default("Auto"),
        latencyP95Seconds: z
          .number()
          .positive()
          .max(60)
          .default(0.2)
          .describe("p95 latency of /score_expected above which MaieHighLatencyScoreExpected fires."),
        explainLatencyP95Seconds: z
          .number()
          .positive()
          .max(60)
          .default(0.4)
          .describe("p95 latency of /explain_local above which MaieHighLatencyExplainLocal fires."),
        errorRatio: z
          .number()
          .positive()
          .max(1)
          .default(0.01)
          .describe("Ratio of 5xx responses above which MaieHighErrorRate fires."),
        panelMaxAge: promDuration("Age of the expected panel above which MaieNoNewExpected fires.", "36h"),
        labels: labelMap("Extra labels on the PrometheusRule (e.g. release: prometheus)."),
      })
      .strict()
      .prefault({})
      .describe("A PrometheusRule with the MAIE alerts, thresholds from here."),
    dashboards: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'If true, a ConfigMap with Grafana dashboards (label grafana_dashboard: "1") is created.',
          ),
      })
      .strict()
      .prefault({})
      .describe("Grafana dashboards."),
  })
  .strict()
  .describe("Prometheus Operator objects and dashboards.");

export const AutoscalingSpec = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe("If true, a HorizontalPodAutoscaler (autoscaling/v2) drives the replica count."),
    minReplicas: z.number().int().min(1).max(1000).default(2).describe("Lower bound of the autoscaler."),
    maxReplicas: z.number().int().min(1).max(1000).default(6).describe("Upper bound of the autoscaler."),
    targetCPUUtilizationPercentage: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(70)
      .describe("Average CPU utilisation the autoscaler aims for."),
  })
  .strict()
  .meta({
    description: "Horizontal pod autoscaling.",
    "x-kubernetes-validations": [
      {
        rule: "self.minReplicas <= self.maxReplicas",
        message: "autoscaling.minReplicas must be <= autoscaling.maxReplicas",
      },
    ],
  });

export const PodDisruptionBudgetSpec = z
  .object({
    enabled: TriState.default("Auto").describe(
      "Auto: a PodDisruptionBudget when more than one replica runs; Enabled: always; Disabled: never.",
    ),
    minAvailable: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(1)
      .describe("Pods that must stay available during voluntary disruptions."),
  })
  .strict()
  .describe("PodDisruptionBudget.");

export const IngressSpec = z
  .object({
    enabled: z.boolean().default(false).describe("If true, an Ingress routes host/path to the scorer."),
    className: z.string().max(253).optional().describe("IngressClass name."),
    host: z
      .string()
      .max(253)
      .regex(
        /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
        "must be a lowercase DNS host such as maie.example.com",
      )
      .optional()
      .describe("Host name. Required when enabled."),
    path: z.string().max(1024).regex(/^\//, "must start with /").default("/").describe("Path prefix."),
    tls: z
      .object({ secretName: objectName("Secret with the TLS certificate.") })
      .strict()
      .optional()
      .describe("TLS termination."),
    annotations: annotationMap(
      "Annotations on the Ingress (controller-specific settings). Configuration snippets (keys ending in snippet/snippets) are refused (InvalidSpec).",
    ),
  })
  .strict()
  .meta({
    description: "Ingress to the scorer.",
    "x-kubernetes-validations": [
      {
        rule: "!self.enabled || (has(self.host) && size(self.host) > 0)",
        message: "ingress.host is required when ingress.enabled is true",
      },
    ],
  });

export const NetworkPolicySpec = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "If true, a NetworkPolicy admits traffic to the scorer pods only from the allowFrom peers (and the monitoring namespace to the metrics port), and lets them reach only the cluster DNS and those peers.",
      ),
    allowFrom: z
      .array(
        kubernetesObject("A networking.k8s.io/v1 NetworkPolicyPeer (namespaceSelector and/or podSelector)."),
      )
      .max(32)
      .default([])
      .describe(
        "Peers allowed to reach the scorer, and that it may reach (ingress controller, clients, a Prometheus outside the monitoring namespace). The rest of the namespace is not admitted unless listed.",
      ),
  })
  .strict()
  .describe("NetworkPolicy for the scorer pods.");

export const ObjectStoreSpec = z
  .object({
    bucket: z
      .string()
      .min(3)
      .max(63)
      .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, "must be an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
      .describe(
        "Bucket the pipeline publishes panels to and backups are copied to; s3:// URIs may name others.",
      ),
    endpoint: z
      .string()
      .max(1024)
      .regex(
        /^https?:\/\/[^\s/]+\/?$/,
        "must be a URL such as https://s3.eu-west-1.amazonaws.com or http://minio.storage:9000",
      )
      .optional()
      .describe("S3 endpoint. Default: AWS S3 in region. Set it for any S3-compatible store."),
    region: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9-]+$/, "must be a region such as us-east-1")
      .default("us-east-1")
      .describe("Region used to sign requests."),
    prefix: z
      .string()
      .max(512)
      .regex(/^[^/\s][^\s]*$/, "must be a key prefix without a leading '/' such as teams/alpha")
      .optional()
      .describe("Key prefix under which everything this resource writes lives."),
    forcePathStyle: z
      .boolean()
      .default(false)
      .describe(
        "If true, requests use path-style URLs (endpoint/bucket/key), as most S3-compatible stores need.",
      ),
    caBundle: z
      .object({
        configMapRef: z
          .object({
            name: objectName("Name of a ConfigMap in the same namespace."),
            key: z.string().min(1).max(253).default("ca.crt").describe("Key holding the PEM bundle."),
          })
          .strict()
          .describe("ConfigMap holding the PEM CA bundle."),
      })
      .strict()
      .optional()
      .describe("Extra CA certificates to trust for the endpoint (a private CA)."),
    credentials: secretCredentials(
      "keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and optionally AWS_SESSION_TOKEN)",
    )
      .optional()
      .describe(
        "Static credentials. When unset the pods use their own identity through the AWS SDK's default chain (IRSA web identity, EKS Pod Identity, instance role): annotate the ServiceAccount with spec.serviceAccount.annotations.",
      ),
  })
  .strict()
  .describe(
    "An S3 or S3-compatible object store. The scorer and the pipeline fetch s3:// models and prices from it, and while it is set the pipeline publishes the panels to it (expected/ under prefix, a pointer written last) and the scorers follow them there instead of the data volume; with model.uri set too, the scorer pods mount no data volume and spread across nodes.",
  );

export const ServiceAccountSpec = z
  .object({
    annotations: annotationMap(
      "Annotations on the pods' ServiceAccount, e.g. eks.amazonaws.com/role-arn for IRSA.",
    ),
  })
  .strict()
  .describe("The ServiceAccount every MAIE pod runs as.");

export const MaieDeploymentSpec = z
  .object({
    image: ImageSpec.prefault({}),
    imagePullSecrets: z
      .array(
        z
          .object({ name: objectName("Secret name.") })
          .strict()
          .describe("A reference to a docker-registry Secret."),
      )
      .max(16)
      .default([])
      .describe("Secrets for pulling the images."),
    replicas: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(2)
      .describe("Number of scorer pods (driven by the scale subresource and the HPA)."),
    app: AppContainerSpec.optional(),
    scorer: ScorerSpec.prefault({}),
    model: ModelSpec.prefault({}),
    objectStore: ObjectStoreSpec.optional(),
    serviceAccount: ServiceAccountSpec.prefault({}),
    storage: StorageSpec.prefault({}),
    pipeline: PipelineSpec.prefault({}),
    backup: BackupSpec.prefault({}),
    monitoring: MonitoringSpec.prefault({}),
    autoscaling: AutoscalingSpec.prefault({}),
    podDisruptionBudget: PodDisruptionBudgetSpec.prefault({}),
    ingress: IngressSpec.prefault({}),
    networkPolicy: NetworkPolicySpec.prefault({}),
    nodeSelector: z
      .record(z.string().max(317), z.string().max(63))
      .optional()
      .describe("Node labels the pods must match."),
    tolerations: z
      .array(kubernetesObject("A core/v1 Toleration."))
      .max(64)
      .optional()
      .describe("Tolerations of the pods (core/v1 Toleration)."),
    affinity: kubernetesObject("Affinity of the pods (core/v1 Affinity).").optional(),
    topologySpreadConstraints: z
      .array(kubernetesObject("A core/v1 TopologySpreadConstraint."))
      .max(16)
      .optional()
      .describe("How pods spread across zones and nodes."),
    podLabels: labelMap("Extra labels on the pods."),
    podAnnotations: annotationMap(
      "Extra annotations on the pods. AppArmor or seccomp set to unconfined is refused (InvalidSpec).",
    ),
  })
  .strict()
  .meta({
    description:
      "Desired state of a MAIE deployment: the scorer Deployment, its daily pipeline and backups, storage, monitoring and network exposure.",
    "x-kubernetes-validations": [
      {
        rule: "!has(self.model) || !has(self.model.uri) || !self.model.uri.startsWith('s3://') || has(self.objectStore)",
        message: "model.uri s3://… needs spec.objectStore (endpoint, region and credentials of the store)",
      },
      {
        rule: "!has(self.pipeline) || !has(self.pipeline.prices) || has(self.objectStore)",
        message:
          "pipeline.prices.uri s3://… needs spec.objectStore (endpoint, region and credentials of the store)",
      },
      {
        // The has() guards are for the CRD's own `default: {}`, which the apiserver checks before nested defaults exist.
        rule: "!has(self.ingress) || !has(self.ingress.enabled) || !self.ingress.enabled || (has(self.scorer) && has(self.scorer.auth))",
        message:
          "ingress.enabled requires scorer.auth.tokenSecretRef: a scorer exposed outside the cluster must require a bearer token",
      },
      {
        // Only when a budget exists (see desired/pdb.ts): Enabled, or Auto with more than one pod;
        // a Deployment scaled to zero has no pod to protect. The legacy spellings ('false', 'auto')
        // are matched too: an object stored before the rename is checked again on its next update.
        rule:
          "!has(self.podDisruptionBudget) || !has(self.podDisruptionBudget.enabled) || !has(self.podDisruptionBudget.minAvailable) || " +
          "!has(self.replicas) || !has(self.autoscaling) || !has(self.autoscaling.enabled) || !has(self.autoscaling.minReplicas) || " +
          "self.podDisruptionBudget.enabled in ['Disabled', 'false'] || " +
          "(self.podDisruptionBudget.enabled in ['Auto', 'auto'] && (self.autoscaling.enabled ? self.autoscaling.minReplicas : self.replicas) <= 1) || " +
          "(!self.autoscaling.enabled && self.replicas == 0) || " +
          "self.podDisruptionBudget.minAvailable <= (self.autoscaling.enabled ? self.autoscaling.minReplicas : self.replicas)",
        message:
          "podDisruptionBudget.minAvailable must be <= replicas (autoscaling.minReplicas when autoscaling is enabled): a larger budget blocks every eviction and drain",
      },
    ],
  });

export type MaieDeploymentSpec = z.output<typeof MaieDeploymentSpec>;
