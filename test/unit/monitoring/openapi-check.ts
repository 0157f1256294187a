/**
 * A small structural check of an object against a CRD's openAPIV3Schema:
 * unknown fields (which the API server would silently prune), types, enums,
 * patterns, lengths, bounds and required fields. It does not evaluate CEL
 * `x-kubernetes-validations`; the live API server does (operator tests).
 */
export interface Schema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  anyOf?: Schema[];
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

export function checkAgainstSchema(value: unknown, schema: Schema, path = "spec"): string[] {
  const errors: string[] = [];
  const err = (m: string) => errors.push(`${path}: ${m}`);
  if (schema["x-kubernetes-int-or-string"] === true) {
    if (typeof value !== "string" && !Number.isInteger(value)) err("must be an integer or a string");
    return errors;
  }
  switch (schema.type) {
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        err("must be an object");
        return errors;
      }
      const obj = value as Record<string, unknown>;
      for (const r of schema.required ?? []) if (!(r in obj)) err(`missing required field ${r}`);
      for (const [k, v] of Object.entries(obj)) {
        const p = schema.properties?.[k];
        if (p !== undefined) errors.push(...checkAgainstSchema(v, p, `${path}.${k}`));
        else if (typeof schema.additionalProperties === "object") {
          errors.push(...checkAgainstSchema(v, schema.additionalProperties, `${path}.${k}`));
        } else if (
          schema["x-kubernetes-preserve-unknown-fields"] !== true &&
          schema.additionalProperties !== true
        ) {
          err(`unknown field ${k} (the API server would prune it)`);
        }
      }
      break;
    }
    case "array":
      if (!Array.isArray(value)) {
        err("must be an array");
        return errors;
      }
      if (schema.minItems !== undefined && value.length < schema.minItems)
        err(`fewer than ${schema.minItems} items`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        err(`more than ${schema.maxItems} items`);
      value.forEach((v, i) => {
        if (schema.items) errors.push(...checkAgainstSchema(v, schema.items, `${path}[${i}]`));
      });
      break;
    case "string":
      if (typeof value !== "string") {
        err("must be a string");
        return errors;
      }
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
        err(`${JSON.stringify(value)} does not match ${schema.pattern}`);
      }
      if (schema.minLength !== undefined && value.length < schema.minLength)
        err(`shorter than ${schema.minLength}`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        err(`longer than ${schema.maxLength}`);
      break;
    case "integer":
    case "number":
      if (typeof value !== "number" || (schema.type === "integer" && !Number.isInteger(value))) {
        err(`must be ${schema.type === "integer" ? "an integer" : "a number"}`);
        return errors;
      }
      if (schema.minimum !== undefined && value < schema.minimum) err(`below ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) err(`above ${schema.maximum}`);
      break;
    case "boolean":
      if (typeof value !== "boolean") err("must be a boolean");
      break;
    default:
      break;
  }
  if (schema.enum !== undefined && !schema.enum.includes(value))
    err(`${JSON.stringify(value)} is not one of the enum`);
  if (
    schema.anyOf !== undefined &&
    !schema.anyOf.some((s) => checkAgainstSchema(value, s, path).length === 0)
  ) {
    err("matches none of anyOf");
  }
  return errors;
}
