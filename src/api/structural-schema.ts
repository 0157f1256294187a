/**
 * Turns the JSON Schema that zod emits (OpenAPI 3.0 flavour) into a
 * Kubernetes *structural* schema: every node typed, no `anyOf` outside the
 * int-or-string idiom, no `additionalProperties: false` (Kubernetes prunes
 * unknown fields instead), free-form objects marked
 * `x-kubernetes-preserve-unknown-fields`, and JavaScript's safe-integer
 * bounds dropped because they only add noise to `kubectl explain`.
 */

export type JsonSchema = { [key: string]: unknown };

const SAFE_INT_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function toStructural(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  const intOrString = node["x-kubernetes-int-or-string"] === true;
  const preserve = node["x-kubernetes-preserve-unknown-fields"] === true;

  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case "$schema":
      case "id":
      case "$id":
        continue;
      case "anyOf":
        if (intOrString) continue;
        throw new Error(
          `anyOf is not structural; use a tagged field instead (at ${JSON.stringify(node).slice(0, 120)})`,
        );
      case "minimum":
      case "maximum":
        if (typeof value === "number" && SAFE_INT_BOUNDS.has(value)) continue;
        out[key] = value;
        continue;
      case "additionalProperties":
        if (value === false || preserve) continue;
        if (isSchema(value) && Object.keys(value).length === 0) {
          out["x-kubernetes-preserve-unknown-fields"] = true;
          continue;
        }
        out[key] = isSchema(value) ? toStructural(value) : value;
        continue;
      case "propertyNames":
        // Kubernetes has no propertyNames; key bounds are enforced by the operator's parse.
        continue;
      case "properties": {
        const props: JsonSchema = {};
        for (const [name, child] of Object.entries(value as JsonSchema))
          props[name] = toStructural(child as JsonSchema);
        out[key] = props;
        continue;
      }
      case "items":
        out[key] = toStructural(value as JsonSchema);
        continue;
      default:
        out[key] = value;
    }
  }
  if (preserve && out["type"] === undefined) out["type"] = "object";
  materializeEmptyDefault(out);
  if (!intOrString && !preserve && out["type"] === undefined) {
    throw new Error(`schema node without a type is not structural: ${JSON.stringify(node).slice(0, 160)}`);
  }
  return out;
}

/**
 * zod writes `default: {}` for an object whose fields all have defaults. The
 * apiserver checks CEL rules against declared defaults *before* nested
 * defaulting, so `{}` would fail `self.minReplicas <= self.maxReplicas`.
 * Spelling the nested defaults out also makes `kubectl explain` show them.
 */
function materializeEmptyDefault(node: JsonSchema): void {
  const def = node["default"];
  const props = node["properties"];
  if (!isSchema(def) || Object.keys(def).length !== 0 || !isSchema(props)) return;
  const filled: JsonSchema = {};
  for (const [name, child] of Object.entries(props)) {
    if (isSchema(child) && child["default"] !== undefined) filled[name] = child["default"];
  }
  node["default"] = filled;
}
