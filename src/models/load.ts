import type { ModelFormat, ModelFormatOption } from "../contract/model-format.js";
import type { TreeEnsemble } from "./ensemble.js";
import { readFile, stat } from "node:fs/promises";
import { LIMITS, ModelFormatError } from "./errors.js";
import { parseLightGbm } from "./lightgbm.js";
import { decodeUbjson, looksLikeUbjson } from "./ubjson.js";
import { parseXgboost, readXgboostDocument } from "./xgboost.js";

export { LIMITS, ModelFormatError, type ModelFormatCode } from "./errors.js";
export type { TreeEnsemble } from "./ensemble.js";

export type { ModelFormat, ModelFormatOption } from "../contract/model-format.js";

/**
 * Parses a model file into the flat ensemble; throws ModelFormatError. Read
 * by content: XGBoost UBJSON (`.ubj`, binary: `{` then a length or container
 * marker), XGBoost JSON (text starting with `{`) or a LightGBM `model.txt`.
 * The JSON and the UBJSON of one model give identical ensembles.
 */
export function parseModel(bytes: Uint8Array | string, format: ModelFormatOption): TreeEnsemble {
  const size = typeof bytes === "string" ? bytes.length : bytes.byteLength;
  if (size > LIMITS.maxModelBytes)
    throw new ModelFormatError(
      "too_large",
      `model file is ${size} bytes, more than the ${LIMITS.maxModelBytes}-byte limit (LIMITS.maxModelBytes)`,
    );
  if (typeof bytes !== "string" && looksLikeUbjson(bytes)) {
    if (format === "lightgbm")
      throw new ModelFormatError("unknown_format", "model file is XGBoost UBJSON, not a LightGBM text model");
    return readXgboostDocument(decodeUbjson(bytes));
  }
  let text: string;
  if (typeof bytes === "string") text = bytes;
  else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ModelFormatError(
        "syntax",
        "model file is neither UTF-8 text nor XGBoost UBJSON (pickles and binary formats are not supported)",
      );
    }
  }
  const kind = format === "auto" ? detectFormat(text) : format;
  return kind === "lightgbm" ? parseLightGbm(text) : parseXgboost(text);
}

/**
 * Reads a model file, refusing one larger than {@link LIMITS.maxModelBytes}
 * before reading it. For callers that load from a path.
 */
export async function readModelFile(path: string): Promise<Uint8Array> {
  const { size } = await stat(path);
  if (size > LIMITS.maxModelBytes)
    throw new ModelFormatError(
      "too_large",
      `model file ${path} is ${size} bytes, more than the ${LIMITS.maxModelBytes}-byte limit (LIMITS.maxModelBytes)`,
    );
  return readFile(path);
}

/** "{" starts XGBoost JSON; a leading `tree` line (or `version=`) is LightGBM text. */
export function detectFormat(text: string): ModelFormat {
  const head = text.trimStart().slice(0, 64);
  if (head.startsWith("{")) return "xgboost";
  if (/^(tree|version=v\d)\s/.test(head)) return "lightgbm";
  throw new ModelFormatError(
    "unknown_format",
    "not a LightGBM text model nor an XGBoost JSON or UBJSON model",
  );
}
