import { buildCrd } from "./crd.js";
import { API_VERSION, CATEGORIES, CRD_NAME, KIND, PLURAL, SHORT_NAMES } from "./group.js";
import type { JsonSchema } from "./structural-schema.js";
import { LEGACY_TRI_STATES, TRI_STATES } from "./tri-state.js";

/**
 * docs/crd-reference.md as a pure function of the generated CRD (itself a
 * pure function of the zod schemas in src/api/): every field path with its
 * type, default, bounds and description, the CEL rules and the printer
 * columns. `maie generate crd-docs` writes it; tools/test.sh fails when the
 * committed file differs.
 */

export const CRD_DOCS_FILE = "docs/crd-reference.md";

interface FieldRow {
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly def: string;
  readonly validation: string;
  readonly description: string;
}

interface CelRow {
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A table cell: one line, pipes escaped (GitHub honours `\|` inside code spans in tables). */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

function code(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

function typeOf(node: JsonSchema): string {
  if (node["x-kubernetes-int-or-string"] === true) return "quantity (int or string)";
  const type = str(node["type"]) ?? "object";
  if (type === "array") {
    const items = node["items"];
    return `[]${isSchema(items) ? typeOf(items) : "unknown"}`;
  }
  if (type === "object") {
    const additional = node["additionalProperties"];
    if (isSchema(additional)) return `map[string]${typeOf(additional)}`;
    if (node["x-kubernetes-preserve-unknown-fields"] === true && !isSchema(node["properties"]))
      return "object (free-form)";
    return "object";
  }
  return type;
}

function defaultOf(node: JsonSchema): string {
  if (!("default" in node)) return "";
  const def = node["default"];
  const props = node["properties"];
  if (isSchema(def) && Object.keys(def).length > 0 && isSchema(props)) {
    const filled: JsonSchema = {};
    for (const [name, child] of Object.entries(props))
      if (isSchema(child) && child["default"] !== undefined) filled[name] = child["default"];
    if (JSON.stringify(filled) === JSON.stringify(def)) return "fields' defaults";
  }
  return code(JSON.stringify(def));
}

function validationOf(node: JsonSchema): string {
  const parts: string[] = [];
  const enumValues = node["enum"];
  if (Array.isArray(enumValues)) parts.push(`one of ${enumValues.map((v) => code(String(v))).join(", ")}`);
  const min = node["minimum"];
  const max = node["maximum"];
  if (typeof min === "number") parts.push(`${node["exclusiveMinimum"] === true ? ">" : "≥"} ${min}`);
  if (typeof max === "number") parts.push(`${node["exclusiveMaximum"] === true ? "<" : "≤"} ${max}`);
  const minLength = node["minLength"];
  const maxLength = node["maxLength"];
  if (typeof minLength === "number") parts.push(`length ≥ ${minLength}`);
  if (typeof maxLength === "number") parts.push(`length ≤ ${maxLength}`);
  const minItems = node["minItems"];
  const maxItems = node["maxItems"];
  if (typeof minItems === "number") parts.push(`items ≥ ${minItems}`);
  if (typeof maxItems === "number") parts.push(`items ≤ ${maxItems}`);
  const pattern = str(node["pattern"]);
  if (pattern !== undefined) parts.push(`pattern ${code(pattern)}`);
  const listType = str(node["x-kubernetes-list-type"]);
  if (listType !== undefined) {
    const keys = node["x-kubernetes-list-map-keys"];
    parts.push(
      `list type ${code(listType)}${Array.isArray(keys) ? ` keyed by ${keys.map((k) => code(String(k))).join(", ")}` : ""}`,
    );
  }
  const rules = node["x-kubernetes-validations"];
  if (Array.isArray(rules) && rules.length > 0)
    parts.push(`${rules.length} CEL rule${rules.length > 1 ? "s" : ""} (below)`);
  return parts.join("; ");
}

function walk(node: JsonSchema, path: string, required: boolean, rows: FieldRow[], cel: CelRow[]): void {
  rows.push({
    path,
    type: typeOf(node),
    required,
    def: defaultOf(node),
    validation: validationOf(node),
    description: str(node["description"]) ?? "",
  });
  const rules = node["x-kubernetes-validations"];
  if (Array.isArray(rules))
    for (const r of rules)
      if (isSchema(r)) cel.push({ path, rule: str(r["rule"]) ?? "", message: str(r["message"]) ?? "" });
  const props = node["properties"];
  if (isSchema(props)) {
    const req = new Set(Array.isArray(node["required"]) ? node["required"].map(String) : []);
    for (const [name, child] of Object.entries(props))
      if (isSchema(child)) walk(child, `${path}.${name}`, req.has(name), rows, cel);
  }
  const items = node["items"];
  if (isSchema(items) && (isSchema(items["properties"]) || isSchema(items["items"])))
    walkChildren(items, `${path}[]`, rows, cel);
  const additional = node["additionalProperties"];
  if (isSchema(additional) && isSchema(additional["properties"]))
    walkChildren(additional, `${path}.<key>`, rows, cel);
  else if (isSchema(additional)) celRows(additional, `${path}.<key>`, cel);
}

function celRows(node: JsonSchema, path: string, cel: CelRow[]): void {
  const rules = node["x-kubernetes-validations"];
  if (Array.isArray(rules))
    for (const r of rules)
      if (isSchema(r)) cel.push({ path, rule: str(r["rule"]) ?? "", message: str(r["message"]) ?? "" });
}

/** Paths of the tri-state fields (`Auto|Enabled|Disabled`), found in the generated schema. */
export function triStatePaths(node: JsonSchema, path: string, out: string[]): string[] {
  const e = node["enum"];
  if (Array.isArray(e) && TRI_STATES.every((v) => e.includes(v))) out.push(path);
  const props = node["properties"];
  if (isSchema(props))
    for (const [name, child] of Object.entries(props))
      if (isSchema(child)) triStatePaths(child, `${path}.${name}`, out);
  return out;
}

/** Descends into an array's items or a map's values without a row of their own. */
function walkChildren(node: JsonSchema, path: string, rows: FieldRow[], cel: CelRow[]): void {
  const before = rows.length;
  walk(node, path, true, rows, cel);
  rows.splice(before, 1);
}

function fieldTable(rows: readonly FieldRow[]): string {
  const lines = [
    "| field | type | default | validation | description |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${code(r.path)}${r.required ? " (required)" : ""} | ${cell(r.type)} | ${cell(r.def)} | ${cell(r.validation)} | ${cell(r.description)} |`,
    ),
  ];
  return lines.join("\n");
}

export function renderCrdReference(): string {
  const crd = buildCrd();
  const [version] = crd.spec.versions;
  if (version === undefined) throw new Error("the generated CRD has no version to document");
  const root = version.schema.openAPIV3Schema;
  const specRows: FieldRow[] = [];
  const statusRows: FieldRow[] = [];
  const cel: CelRow[] = [];
  celRows(root, "(the object)", cel);
  walk(root.properties.spec, "spec", true, specRows, cel);
  const triStates = triStatePaths(root.properties.spec, "spec", []);
  walk(root.properties.status, "status", false, statusRows, cel);
  const scale = version.subresources.scale;

  const out: string[] = [];
  out.push(
    "<!-- Generated by `maie generate crd-docs` (npm run generate) from src/api/*.ts. Do not edit by hand. -->",
    "",
    `# ${KIND} CRD reference`,
    "",
    root.description,
    "",
    "This page is generated from the zod schemas in `src/api/` (the same source as `crds/maie.io_maiedeployments.yaml`); `kubectl explain maiedeployment.spec.<field>` shows the same descriptions on a cluster. The operator's behaviour for each field is described in [operator.md](operator.md); the conditions in `status` are explained in [troubleshooting.md](troubleshooting.md).",
    "",
    "| | |",
    "| --- | --- |",
    `| CRD name | ${code(CRD_NAME)} |`,
    `| apiVersion | ${code(API_VERSION)} |`,
    `| kind | ${code(KIND)} |`,
    `| plural / short names | ${code(PLURAL)} / ${SHORT_NAMES.map(code).join(", ")} |`,
    `| categories | ${CATEGORIES.map(code).join(", ")} (so \`kubectl get all\` lists it) |`,
    `| scope | ${crd.spec.scope} |`,
    `| subresources | \`status\`; \`scale\` (spec ${code(scale.specReplicasPath)}, status ${code(scale.statusReplicasPath)}, selector ${code(scale.labelSelectorPath)}) |`,
    "",
    "Reading the tables: a default of \"fields' defaults\" means the object is filled with the defaults of its fields when omitted. `[]` in a path is an element of a list, `<key>` a map key. `quantity` accepts a Kubernetes quantity such as `10Gi` or `500m`. `object (free-form)` is a Kubernetes type (EnvVar, Toleration, Affinity...) kept as-is and validated by the apiserver when the child is applied. Unknown fields are rejected by kubectl's strict field validation.",
    "",
    "### Tri-state values",
    "",
    `${triStates.map(code).join(", ")} take ${TRI_STATES.map(code).join(", ")} (the Kubernetes convention for a switch with an automatic setting). A YAML boolean written by habit is refused: \`kubectl create\` and client-side \`kubectl apply\` say \`Unsupported value: true: supported values: "Auto", "Enabled", "Disabled"\`; \`kubectl apply --server-side\` fails earlier, in the apiserver's typed patch, with \`expected string, got &value.valueUnstructured{Value:true}\`, a message no CRD schema can change. Write \`Enabled\` for true and \`Disabled\` for false. The boolean fields (\`ingress.enabled\`, \`backup.enabled\`, ...) are plain booleans.`,
    "",
    `**Converting from the string values.** These fields took the strings ${Object.keys(LEGACY_TRI_STATES)
      .map((v) => code(`"${v}"`))
      .join(", ")} before: write ${Object.entries(LEGACY_TRI_STATES)
      .map(([from, to]) => `${code(to)} for ${code(`"${from}"`)}`)
      .join(
        ", ",
      )}. The CRD refuses the old strings in new writes. An object stored earlier keeps working: the operator reads an old string as its new value and records a \`DeprecatedValue\` Warning event, once per generation, naming the field and what to write. On Kubernetes 1.30 and later (CRD validation ratcheting) such an object can be updated without touching the field; on 1.29 any update must rewrite it too, for example \`kubectl patch maie NAME --type merge -p '{"spec":{"podDisruptionBudget":{"enabled":"Auto"}}}'\`.`,
    "",
    "## Printer columns",
    "",
    "What `kubectl get maie` shows:",
    "",
    "| column | type | JSONPath | description |",
    "| --- | --- | --- | --- |",
    ...version.additionalPrinterColumns.map(
      (c) =>
        `| ${c.name} | ${c.type} | ${code(cell(c.jsonPath))} | ${cell("description" in c ? c.description : "Time since creation.")} |`,
    ),
    "",
    "## Spec",
    "",
    fieldTable(specRows),
    "",
    "## Status",
    "",
    "Written only by the operator, through the `/status` subresource.",
    "",
    fieldTable(statusRows),
    "",
    "## Cross-field validation (CEL)",
    "",
    "`x-kubernetes-validations` rules the apiserver evaluates on create and update; a violation is refused with the message.",
    "",
    "| at | rule | message |",
    "| --- | --- | --- |",
    ...cel.map((c) => `| ${code(c.path)} | ${code(cell(c.rule))} | ${cell(c.message)} |`),
    "",
  );
  return out.join("\n");
}
