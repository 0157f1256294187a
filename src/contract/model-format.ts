/** Model file formats: what a model file can be, and what a user may ask for (`auto` detects). */
export const MODEL_FORMATS = ["lightgbm", "xgboost"] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** Values of `spec.model.format`, `MAIE_MODEL_FORMAT` and `--model-format`. */
export const MODEL_FORMAT_OPTIONS = [...MODEL_FORMATS, "auto"] as const;
export type ModelFormatOption = (typeof MODEL_FORMAT_OPTIONS)[number];

export const DEFAULT_MODEL_FORMAT = "auto" satisfies ModelFormatOption;

export function isModelFormatOption(value: string): value is ModelFormatOption {
  return (MODEL_FORMAT_OPTIONS as readonly string[]).includes(value);
}
