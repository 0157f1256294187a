import { z } from "zod";
import { ERROR_STATUS } from "./errors.js";
import type { Route, RouteDoc } from "./routes.js";
import { ErrorResponse } from "./schemas.js";

/**
 * OpenAPI 3.1 for the route table, generated from the same zod schemas the
 * handlers validate with (`z.toJSONSchema`, JSON Schema 2020-12, which is
 * OpenAPI 3.1's dialect). Request bodies and query parameters are described
 * as the API accepts them (`io: "input"`), responses as it sends them.
 */

type JsonSchema = Record<string, unknown>;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  304: "Not modified (ETag matched)",
  400: "Malformed or invalid request",
  401: "Missing or invalid bearer token",
  404: "Unknown ticker",
  405: "Method not allowed",
  413: "Request body too large",
  415: "Content type is not application/json",
  503: "Unavailable (model or panel not loaded, feature skew, shutting down, compute queue full or worker lost)",
};

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return json;
}

function errorCodesFor(status: number): string[] {
  return Object.entries(ERROR_STATUS)
    .filter(([, s]) => s === status)
    .map(([c]) => c);
}

function operation(path: string, method: string, doc: RouteDoc, secured: boolean): JsonSchema {
  const responses: Record<string, unknown> = {};
  responses["200"] =
    doc.response === "text"
      ? { description: "OK", content: { "text/plain": { schema: { type: "string" } } } }
      : { description: "OK", content: { "application/json": { schema: schemaOf(doc.response, "output") } } };
  if (path === "/score_expected") responses["304"] = { description: STATUS_TEXT[304] };
  const errors = new Set([...doc.errors, 405, ...(secured ? [401] : [])]);
  for (const status of [...errors].sort()) {
    const own = doc.errorBodies?.[status];
    responses[String(status)] =
      own === undefined
        ? {
            description: `${STATUS_TEXT[status] ?? "Error"} (codes: ${errorCodesFor(status).join(", ")})`,
            content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorResponse" } } },
          }
        : {
            description: STATUS_TEXT[status] ?? "Error",
            content: { "application/json": { schema: schemaOf(own, "output") } },
          };
  }
  const op: JsonSchema = {
    operationId: `${method.toLowerCase()}${path.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    summary: doc.summary,
    responses,
  };
  if (doc.request !== undefined)
    op.requestBody = {
      required: path !== "/score_expected",
      content: { "application/json": { schema: schemaOf(doc.request, "input") } },
    };
  if (doc.query !== undefined) {
    const properties = (schemaOf(doc.query, "input").properties ?? {}) as Record<string, JsonSchema>;
    op.parameters = Object.entries(properties).map(([name, schema]) => ({
      name,
      in: "query",
      required: false,
      ...(typeof schema.description === "string" ? { description: schema.description } : {}),
      schema,
    }));
  }
  if (!secured) op.security = [];
  return op;
}

export function buildOpenApi(
  routes: readonly Route[],
  options: { readonly authEnabled: boolean },
): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const item: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(route.methods))
      item[method.toLowerCase()] = operation(
        route.path,
        method,
        op.doc,
        options.authEnabled && !route.public,
      );
    paths[route.path] = item;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "MAIE scorer",
      version: "1.0.0",
      description:
        "Scoring API over a tree-ensemble model and the expected panel; SHAP from the WASM TreeSHAP core. " +
        'Errors are {"error": {"code", "message", "details"}}.',
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    components: {
      schemas: { ErrorResponse: schemaOf(ErrorResponse, "output") },
      ...(options.authEnabled ? { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } : {}),
    },
    ...(options.authEnabled ? { security: [{ bearer: [] }] } : {}),
  };
}
