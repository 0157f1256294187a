import { parse as parseYaml } from "yaml";
import type { ModelFormat } from "../contract/model-format.js";

/**
 * Which file of an MLflow model directory MAIE serves, read from the
 * `MLmodel` file MLflow writes beside it. Only the flavors whose file MAIE
 * reads without running Python: `lightgbm` holding a Booster (its text
 * model), `xgboost` saved as UBJSON or JSON. A pickled or skops-serialised
 * scikit-learn wrapper, XGBoost's removed binary format and every other
 * flavor are refused with what to log instead. Pure.
 */

export class MlmodelError extends Error {
  override readonly name = "MlmodelError";
}

/** An MLmodel file is a few hundred bytes of YAML; more is not one. */
export const MLMODEL_MAX_BYTES = 64 * 1024;

export interface ModelFile {
  /** Relative to the model directory, without '..' (checked). */
  readonly path: string;
  readonly format: ModelFormat;
}

type Flavor = Readonly<Record<string, unknown>>;

export function modelFileOf(mlmodelText: string): ModelFile {
  let doc: unknown;
  try {
    doc = parseYaml(mlmodelText, { maxAliasCount: 0 });
  } catch (err) {
    throw new MlmodelError(`MLmodel is not YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const flavors = isRecord(doc) && isRecord(doc["flavors"]) ? doc["flavors"] : undefined;
  if (flavors === undefined) throw new MlmodelError("MLmodel has no flavors: not an MLflow model");
  const lightgbm = flavors["lightgbm"];
  if (isRecord(lightgbm)) return lightgbmFile(lightgbm);
  const xgboost = flavors["xgboost"];
  if (isRecord(xgboost)) return xgboostFile(xgboost);
  throw new MlmodelError(
    `the model's flavors are ${Object.keys(flavors).join(", ") || "none"}; MAIE serves models logged with mlflow.lightgbm or mlflow.xgboost`,
  );
}

function lightgbmFile(flavor: Flavor): ModelFile {
  const modelClass = stringField(flavor, "model_class");
  if (modelClass !== undefined && modelClass !== "lightgbm.basic.Booster")
    throw new MlmodelError(
      `the lightgbm flavor holds a serialised ${modelClass}, which MAIE will not unpickle: log its Booster instead (mlflow.lightgbm.log_model(model.booster_, ...))`,
    );
  return { path: dataPath(flavor, "lightgbm"), format: "lightgbm" };
}

function xgboostFile(flavor: Flavor): ModelFile {
  const modelFormat = stringField(flavor, "model_format");
  if (modelFormat !== undefined && modelFormat !== "ubj" && modelFormat !== "json")
    throw new MlmodelError(
      `the xgboost flavor was saved as model_format=${modelFormat}; MAIE reads ubj or json: log with mlflow.xgboost.log_model(..., model_format="ubj")`,
    );
  return { path: dataPath(flavor, "xgboost"), format: "xgboost" };
}

function dataPath(flavor: Flavor, name: string): string {
  const data = stringField(flavor, "data");
  if (data === undefined) throw new MlmodelError(`the ${name} flavor names no data file`);
  const parts = data.split("/");
  if (data.startsWith("/") || data.includes("\\") || parts.some((p) => p === "" || p === "." || p === ".."))
    throw new MlmodelError(
      `the ${name} flavor's data file ${JSON.stringify(data)} is not a plain path inside the model directory`,
    );
  return data;
}

function stringField(flavor: Flavor, key: string): string | undefined {
  const value = flavor[key];
  return typeof value === "string" ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
