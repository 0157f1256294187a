import { z } from "zod";
import {
  API_VERSION,
  CATEGORIES,
  CRD_NAME,
  GROUP,
  KIND,
  LIST_KIND,
  PLURAL,
  SHORT_NAMES,
  SINGULAR,
  VERSION,
} from "./group.js";
import { MaieDeploymentSpec } from "./spec.js";
import { MAX_NAME_LENGTH } from "./names.js";
import { MaieDeploymentStatus } from "./status.js";
import { toStructural, type JsonSchema } from "./structural-schema.js";

/** The CRD as a pure function of the zod schemas: `npm run generate` writes it, a test checks crds/ is current. */

function openApi(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io: "input",
    target: "openapi-3.0",
    unrepresentable: "throw",
  }) as JsonSchema;
  return toStructural(json);
}

export const PRINTER_COLUMNS = [
  {
    name: "Ready",
    type: "string",
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: "Ready condition.",
  },
  {
    name: "Replicas",
    type: "string",
    jsonPath: ".status.replicaSummary",
    description: "Ready/desired scorer pods.",
  },
  {
    name: "Model",
    type: "string",
    jsonPath: ".status.model.digest",
    description: "sha256 of the model the scorer pods serve (first 12 hex digits).",
  },
  {
    name: "Registered",
    type: "string",
    jsonPath: ".status.model.registry.ref",
    description: "The MLflow registered model version served: name@alias→vN, or name/vN when pinned.",
  },
  {
    name: "Last-Pipeline",
    type: "date",
    jsonPath: ".status.lastPipelineSuccess",
    description: "Last successful pipeline run.",
  },
  {
    name: "Last-Backup",
    type: "date",
    jsonPath: ".status.lastBackupSuccess",
    description: "Last successful backup.",
  },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
] as const;

export function buildCrd() {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: CRD_NAME,
      labels: { "app.kubernetes.io/name": "maie", "app.kubernetes.io/part-of": "maie" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: LIST_KIND,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: [...SHORT_NAMES],
        categories: [...CATEGORIES],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: ".spec.replicas",
              statusReplicasPath: ".status.replicas",
              labelSelectorPath: ".status.selector",
            },
          },
          additionalPrinterColumns: PRINTER_COLUMNS,
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: `${KIND} (${API_VERSION}) runs the MAIE scoring API with SHAP explanations, its daily pipeline, backups and monitoring.`,
              required: ["spec"],
              "x-kubernetes-validations": [
                {
                  rule: `size(self.metadata.name) <= ${MAX_NAME_LENGTH} && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')`,
                  message: `metadata.name must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter) of at most ${MAX_NAME_LENGTH} characters: the children are named after it (the Service must be a DNS-1035 label, the <name>-pipeline CronJob at most 52 characters)`,
                },
              ],
              properties: {
                apiVersion: { type: "string", description: "APIVersion of this object." },
                kind: { type: "string", description: "Kind of this object." },
                metadata: { type: "object" },
                spec: { ...openApi(MaieDeploymentSpec), default: {} },
                status: openApi(MaieDeploymentStatus),
              },
            },
          },
        },
      ],
    },
  };
}
