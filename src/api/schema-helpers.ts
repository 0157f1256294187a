import { z } from "zod";

/**
 * Small zod building blocks whose JSON Schema must carry Kubernetes-specific
 * extensions. Each one is named after the Kubernetes concept it stands for so
 * the spec reads like a Kubernetes API type.
 */

/** A Kubernetes resource quantity such as `10Gi`, `500m` or `2`. */
const QUANTITY_PATTERN = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

export function quantity(description: string) {
  return z
    .union([
      z.string().max(32).regex(QUANTITY_PATTERN, "must be a Kubernetes quantity such as 10Gi or 500m"),
      z.number(),
    ])
    .meta({
      description,
      "x-kubernetes-int-or-string": true,
      // A negative request or limit can never be scheduled: refused here rather than by the child's apply.
      // A sign test, not isQuantity(): an int-or-string node carries no maxLength, so the apiserver
      // prices a quantity parse of an unbounded string beyond the CRD's CEL budget.
      "x-kubernetes-validations": [
        {
          rule: "type(self) == int ? self >= 0 : !self.startsWith('-')",
          message: "must be a non-negative quantity such as 500m or 1Gi",
        },
      ],
    });
}

/** A quantity that must be strictly positive (storage sizes): the CEL library checks what a regex cannot. */
export function positiveQuantity(description: string) {
  return z
    .string()
    .max(32)
    .regex(QUANTITY_PATTERN, "must be a Kubernetes quantity such as 10Gi")
    .meta({
      description,
      "x-kubernetes-validations": [
        {
          rule: "isQuantity(self) && quantity(self).isGreaterThan(quantity('0'))",
          message: "must be a positive quantity such as 10Gi",
        },
      ],
    });
}

/**
 * An object whose shape Kubernetes itself defines (affinity, tolerations,
 * env entries): kept as-is and validated by the apiserver when the child is
 * applied, so we never drift from upstream's own schema.
 */
export function kubernetesObject(description: string) {
  return z
    .record(z.string(), z.unknown())
    .meta({ description, "x-kubernetes-preserve-unknown-fields": true });
}

/** A Prometheus duration (`30s`, `10m`, `36h`, `1h30m`). */
const DURATION_PATTERN = /^(([0-9]+)(ms|s|m|h|d|w|y))+$/;
export function promDuration(description: string, def: string) {
  return z
    .string()
    .max(32)
    .regex(DURATION_PATTERN, "must be a Prometheus duration such as 30s, 10m or 36h")
    .default(def)
    .describe(description);
}

/**
 * A cron schedule's shape: five fields of digits, names and `*,-/`, or a
 * macro such as `@daily`. The CronJob controller parses the value for real;
 * this catches the typos a person makes before anything is created.
 */
const CRON_FIELD = "[0-9A-Za-z*?,/-]+";
const CRON_PATTERN = new RegExp(
  `^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|${CRON_FIELD}( +${CRON_FIELD}){4})$`,
);
export function cronSchedule(description: string, def: string) {
  return z
    .string()
    .max(128)
    .regex(
      CRON_PATTERN,
      "must be a cron schedule of five fields such as '15 22 * * *', or a macro such as @daily",
    )
    .default(def)
    .describe(description);
}

/** A DNS-1123 subdomain (object names, hosts). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function objectName(description: string) {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_SUBDOMAIN, "must be a lowercase DNS-1123 name such as my-secret")
    .describe(description);
}

/** Label keys and values, bounded the way Kubernetes bounds them. */
export function labelMap(description: string) {
  return z.record(z.string().max(317), z.string().max(63)).default({}).describe(description);
}

/** A map of annotations (values may be long). */
export function annotationMap(description: string) {
  return z.record(z.string().max(317), z.string().max(4096)).default({}).describe(description);
}

/** requests/limits like a container's `resources`. */
export function resourceRequirements(description: string) {
  return z
    .object({
      requests: z
        .record(z.string().max(63), quantity("Quantity"))
        .meta({ maxProperties: 16 })
        .optional()
        .describe("Minimum resources reserved."),
      limits: z
        .record(z.string().max(63), quantity("Quantity"))
        .meta({ maxProperties: 16 })
        .optional()
        .describe("Maximum resources allowed."),
    })
    .describe(description);
}

/** `credentials: { secretRef: { name } }`: a Secret in the same namespace whose keys are mounted, never read. */
export function secretCredentials(keys: string) {
  return z
    .object({
      secretRef: z
        .object({ name: objectName("Name of a Secret in the same namespace.") })
        .strict()
        .describe(`Secret with ${keys}, mounted into the pods that use it. The operator never reads it.`),
    })
    .strict();
}
