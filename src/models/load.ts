import type { ModelFormat, ModelFormatOption } from "../contract/model-format.js";
import type { TreeEnsemble } from "./ensemble.js";
import { ModelFormatError } from "./errors.js";
import { parseLightGbm } from "./lightgbm.js";
import { parseXgboost } from "./xgboost.js";

export { ModelFormatError, type ModelFormatCode } from "./errors.js";
export type { TreeEnsemble } from "./ensemble.js";

export type { ModelFormat, ModelFormatOption } from "../contract/model-format.js";

/** Parses a LightGBM `model.txt` or an XGBoost JSON model into the flat ensemble; throws ModelFormatError. */
export function parseModel(bytes: Uint8Array | string, format: ModelFormatOption): TreeEnsemble {
  let text: string;
  if (typeof bytes === "string") text = bytes;
  else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ModelFormatError(
        "syntax",
        "model file is not UTF-8 text (binary UBJSON and pickles are not supported)",
      );
    }
  }
  const kind = format === "auto" ? detectFormat(text) : format;
  return kind === "lightgbm" ? parseLightGbm(text) : parseXgboost(text);
}

/** "{" starts XGBoost JSON; a leading `tree` line (or `version=`) is LightGBM text. */
export function detectFormat(text: string): ModelFormat {
  const head = text.trimStart().slice(0, 64);
  if (head.startsWith("{")) return "xgboost";
  if (/^(tree|version=v\d)\s/.test(head)) return "lightgbm";
  throw new ModelFormatError("unknown_format", "not a LightGBM text model nor an XGBoost JSON model");
}
