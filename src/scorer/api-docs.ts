import { pino } from "pino";
import { DATA_MOUNT } from "../contract/data-layout.js";
import { SCORER_ENV } from "../contract/env.js";
import { loadExplainableModel } from "../treeshap/model.js";
import { PUBLIC_ROUTES } from "./auth.js";
import { loadConfig } from "./config.js";
import { ERROR_STATUS } from "./errors.js";
import { buildOpenApi } from "./openapi.js";
import { Scorer } from "./server.js";
import { realSources } from "./wiring.js";

/**
 * docs/api-reference.md as a pure function of the scorer's OpenAPI document
 * (`buildOpenApi` over the real route table, auth on, exactly what
 * `GET /openapi.json` serves when a token is configured). `maie generate
 * api-docs` writes it; tools/test.sh fails when the committed file differs.
 */

export const API_DOCS_FILE = "docs/api-reference.md";

type JsonSchema = Record<string, unknown>;

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The OpenAPI document of a scorer with auth enabled. Builds the route table without starting anything. */
export function scorerOpenApiDocument(): JsonSchema {
  const scorer = new Scorer({
    config: loadConfig({ [SCORER_ENV.dataDir]: DATA_MOUNT }),
    sources: realSources(loadExplainableModel),
    logger: pino({ level: "silent" }),
    defaultMetrics: false,
  });
  return buildOpenApi([...scorer.routes.values()], { authEnabled: true });
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** A short type expression for a JSON Schema 2020-12 node. */
function typeOf(node: JsonSchema): string {
  if ("const" in node) return code(JSON.stringify(node["const"]));
  if (Array.isArray(node["enum"])) return node["enum"].map((v) => code(JSON.stringify(v))).join(" \\| ");
  const anyOf = node["anyOf"] ?? node["oneOf"];
  if (Array.isArray(anyOf)) return anyOf.filter(isSchema).map(typeOf).join(" \\| ");
  const type = node["type"];
  if (Array.isArray(type)) return type.map(String).join(" \\| ");
  if (type === "array") {
    const prefix = node["prefixItems"];
    if (Array.isArray(prefix)) return `[${prefix.filter(isSchema).map(typeOf).join(", ")}]`;
    const items = node["items"];
    return `array of ${isSchema(items) ? typeOf(items) : "any"}`;
  }
  if (type === "object") {
    const additional = node["additionalProperties"];
    if (isSchema(additional) && !isSchema(node["properties"])) return `map of ${typeOf(additional)}`;
    return "object";
  }
  if (typeof type === "string") return type;
  return "any";
}

function constraintsOf(node: JsonSchema): string {
  const parts: string[] = [];
  const pairs: [string, string][] = [
    ["minimum", "≥"],
    ["exclusiveMinimum", ">"],
    ["maximum", "≤"],
    ["exclusiveMaximum", "<"],
    ["minLength", "length ≥"],
    ["maxLength", "length ≤"],
    ["minItems", "items ≥"],
    ["maxItems", "items ≤"],
    ["minProperties", "keys ≥"],
    ["maxProperties", "keys ≤"],
  ];
  for (const [key, label] of pairs) {
    const v = node[key];
    if (typeof v === "number" && Math.abs(v) < Number.MAX_SAFE_INTEGER) parts.push(`${label} ${v}`);
  }
  if (typeof node["pattern"] === "string") parts.push(`pattern ${code(node["pattern"])}`);
  if ("default" in node) parts.push(`default ${code(JSON.stringify(node["default"]))}`);
  for (const key of ["items", "additionalProperties", "propertyNames"]) {
    const sub = node[key];
    if (isSchema(sub)) {
      const inner = constraintsOf(sub);
      if (inner.length > 0) parts.push(`${key === "propertyNames" ? "keys" : "each"}: ${inner}`);
    }
  }
  const anyOf = node["anyOf"];
  if (Array.isArray(anyOf))
    for (const alt of anyOf.filter(isSchema)) {
      const inner = constraintsOf(alt);
      if (inner.length > 0) parts.push(inner);
    }
  return parts.join("; ");
}

function descriptionOf(node: JsonSchema): string {
  if (typeof node["description"] === "string") return node["description"];
  const anyOf = node["anyOf"];
  if (Array.isArray(anyOf))
    for (const alt of anyOf.filter(isSchema))
      if (typeof alt["description"] === "string") return alt["description"];
  return "";
}

/** One row per property (nested objects flattened with dotted names). */
function fieldRows(node: JsonSchema, prefix: string, rows: string[]): void {
  const props = node["properties"];
  if (!isSchema(props)) return;
  const required = new Set(Array.isArray(node["required"]) ? node["required"].map(String) : []);
  for (const [name, child] of Object.entries(props)) {
    if (!isSchema(child)) continue;
    const path = `${prefix}${name}`;
    rows.push(
      `| ${code(path)} | ${typeOf(child)} | ${required.has(name) ? "yes" : "no"} | ${cell(constraintsOf(child))} | ${cell(descriptionOf(child))} |`,
    );
    if (isSchema(child["properties"])) fieldRows(child, `${path}.`, rows);
  }
}

function schemaSection(title: string, schema: JsonSchema): string[] {
  const out = [`${title}:`, ""];
  if (isSchema(schema["properties"])) {
    const rows: string[] = [];
    fieldRows(schema, "", rows);
    out.push(
      "| field | type | required | constraints | description |",
      "| --- | --- | --- | --- | --- |",
      ...rows,
      "",
    );
  } else {
    out.push(`${typeOf(schema)}${descriptionOf(schema) ? `: ${descriptionOf(schema)}` : ""}`, "");
  }
  out.push(
    "<details><summary>JSON Schema</summary>",
    "",
    "```json",
    JSON.stringify(schema, null, 2),
    "```",
    "",
    "</details>",
    "",
  );
  return out;
}

function jsonSchemaOf(content: unknown, type: string): JsonSchema | undefined {
  if (!isSchema(content)) return undefined;
  const media = content[type];
  if (!isSchema(media)) return undefined;
  const schema = media["schema"];
  return isSchema(schema) ? schema : undefined;
}

export function renderApiReference(): string {
  const doc = scorerOpenApiDocument();
  const info = doc["info"] as JsonSchema;
  const paths = doc["paths"] as Record<string, Record<string, JsonSchema>>;
  const components = doc["components"] as JsonSchema;
  const errorSchema = (components["schemas"] as JsonSchema)["ErrorResponse"] as JsonSchema;

  const out: string[] = [
    "<!-- Generated by `maie generate api-docs` (npm run generate) from the scorer's OpenAPI document. Do not edit by hand. -->",
    "",
    `# ${String(info["title"])} API reference`,
    "",
    String(info["description"]),
    "",
    `OpenAPI ${String(doc["openapi"])}, info.version ${String(info["version"])}. This page is generated from \`buildOpenApi\` (\`src/scorer/openapi.ts\`) over the scorer's route table (\`src/scorer/routes.ts\`), with bearer auth on; a running scorer serves the same document at \`GET /openapi.json\`. How the scorer loads models and panels, its configuration and its performance are in [scorer.md](scorer.md).`,
    "",
    "## Routes",
    "",
    "| method | path | auth | summary |",
    "| --- | --- | --- | --- |",
  ];
  for (const [path, item] of Object.entries(paths))
    for (const [method, op] of Object.entries(item)) {
      const open = Array.isArray(op["security"]) && op["security"].length === 0;
      const anchor = `${method}-${path}`
        .toLowerCase()
        .replace(/[^a-z0-9_ -]/g, "")
        .replace(/ /g, "-");
      out.push(
        `| ${method.toUpperCase()} | [${code(path)}](#${anchor}) | ${open ? "none" : "bearer"} | ${cell(String(op["summary"]))} |`,
      );
    }
  out.push(
    "",
    "## Authentication",
    "",
    `Auth is optional. When the scorer has a token file (\`--token-file\` / \`${SCORER_ENV.tokenFile}\`; in a cluster \`spec.scorer.auth.tokenSecretRef\` of the MaieDeployment), every route except ${[...PUBLIC_ROUTES].map(code).join(", ")} needs \`Authorization: Bearer <token>\`; a missing or wrong token answers \`401\` with code \`unauthorized\` and \`WWW-Authenticate: Bearer realm="maie"\`. Without a token file no route needs auth and the document served at \`/openapi.json\` has no \`security\` entries. The token file is re-read when it changes (Secret rotation needs no restart). See [security.md](security.md).`,
    "",
    "## Common behaviour",
    "",
    "- Every response carries `X-Request-Id`: the request's own `X-Request-Id` when it is 1–128 characters of `[A-Za-z0-9._:-]`, else a new UUID. The same id is the `req_id` field of the access log ([logging.md](logging.md)).",
    "- Request bodies must be `application/json` (or `application/*+json`), at most `--body-limit` bytes (default 1 MiB).",
    "- `HEAD` is accepted wherever `GET` is; any other method not listed answers `405` with an `Allow` header.",
    "- A request that does not complete within `--request-timeout` (default 10 s) answers `408 request_timeout` (body not received) or `503 timeout` (handler over budget).",
    "- While draining after SIGTERM, responses carry `Connection: close` and `/ready` answers 503.",
    "",
    "## Error model",
    "",
    'Every error is JSON `{"error": {"code", "message", "details"}}`; `code` is stable and determines the status:',
    "",
    "| code | status |",
    "| --- | --- |",
    ...Object.entries(ERROR_STATUS).map(([c, s]) => `| ${code(c)} | ${s} |`),
    "",
    "`validation_failed` carries the first 20 zod issues as `details.issues` (`path`, `code`, `message`); `unknown_ticker` lists the unknown tickers in `details.unknown`; `payload_too_large` gives `details.limit_bytes`. A malformed HTTP request (rejected before routing) answers 400, or 431 for oversized headers, with code `invalid_json`. `internal` (500) is the catch-all for a bug; it is logged with the stack and is not expected from any input.",
    "",
    ...schemaSection("ErrorResponse", errorSchema),
    "## Operations",
    "",
  );
  for (const [path, item] of Object.entries(paths))
    for (const [method, op] of Object.entries(item)) {
      out.push(`### ${method.toUpperCase()} ${path}`, "", `${String(op["summary"])}.`, "");
      const open = Array.isArray(op["security"]) && op["security"].length === 0;
      out.push(
        `operationId \`${String(op["operationId"])}\`; auth: ${open ? "none" : "bearer token (when configured)"}.`,
        "",
      );
      const params = op["parameters"];
      if (Array.isArray(params) && params.length > 0) {
        out.push(
          "Query parameters:",
          "",
          "| name | type | required | constraints | description |",
          "| --- | --- | --- | --- | --- |",
        );
        for (const p of params.filter(isSchema)) {
          const schema = isSchema(p["schema"]) ? p["schema"] : {};
          out.push(
            `| ${code(String(p["name"]))} | ${typeOf(schema)} | ${p["required"] === true ? "yes" : "no"} | ${cell(constraintsOf(schema))} | ${cell(typeof p["description"] === "string" ? p["description"] : "")} |`,
          );
        }
        out.push("");
      }
      const body = op["requestBody"];
      if (isSchema(body)) {
        const schema = jsonSchemaOf(body["content"], "application/json");
        if (schema !== undefined)
          out.push(
            ...schemaSection(
              `Request body (\`application/json\`, ${body["required"] === true ? "required" : "optional: an empty body means `{}`"})`,
              schema,
            ),
          );
      }
      const responses = op["responses"] as Record<string, JsonSchema>;
      out.push("Responses:", "", "| status | description |", "| --- | --- |");
      for (const [status, r] of Object.entries(responses))
        out.push(`| ${status} | ${cell(String(r["description"]))} |`);
      out.push("");
      const ok = responses["200"];
      if (ok !== undefined) {
        const json = jsonSchemaOf(ok["content"], "application/json");
        if (json !== undefined) out.push(...schemaSection("Response 200 (`application/json`)", json));
        else if (jsonSchemaOf(ok["content"], "text/plain") !== undefined)
          out.push("Response 200: `text/plain` (Prometheus text exposition format).", "");
      }
    }
  return out.join("\n");
}
