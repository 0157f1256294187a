import { MlmodelError, modelFileOf } from "../../../src/model-source/mlmodel.js";

/** MLmodel files as MLflow 3.17 writes them (trimmed to the fields read), and hostile ones. */
const LIGHTGBM_BOOSTER = `
artifact_path: mlflow-artifacts:/0/models/m-1/artifacts
flavors:
  lightgbm:
    code: null
    data: model.lgb
    lgb_version: 4.7.0
    model_class: lightgbm.basic.Booster
  python_function:
    data: model.lgb
    loader_module: mlflow.lightgbm
`;
const XGBOOST_UBJ = `
flavors:
  python_function: { data: model.ubj, loader_module: mlflow.xgboost }
  xgboost:
    data: model.ubj
    model_class: xgboost.core.Booster
    model_format: ubj
`;
const PYFUNC = `
flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
`;

describe("modelFileOf (which file of an MLflow model MAIE serves)", () => {
  test("a LightGBM Booster: its text model", () => {
    expect(modelFileOf(LIGHTGBM_BOOSTER)).toEqual({ path: "model.lgb", format: "lightgbm" });
  });

  test("an XGBoost model saved as UBJSON or JSON", () => {
    expect(modelFileOf(XGBOOST_UBJ)).toEqual({ path: "model.ubj", format: "xgboost" });
    expect(modelFileOf(XGBOOST_UBJ.replaceAll("ubj", "json"))).toEqual({
      path: "model.json",
      format: "xgboost",
    });
  });

  test.each([
    [
      "another flavor",
      PYFUNC,
      "flavors are python_function; MAIE serves models logged with mlflow.lightgbm or mlflow.xgboost",
    ],
    [
      "a serialised scikit-learn wrapper (never unpickled)",
      LIGHTGBM_BOOSTER.replace("lightgbm.basic.Booster", "lightgbm.sklearn.LGBMRegressor"),
      "log its Booster instead",
    ],
    [
      "XGBoost's removed binary format",
      XGBOOST_UBJ.replace("model_format: ubj", "model_format: xgb"),
      'model_format="ubj"',
    ],
    [
      "a data file outside the model directory",
      LIGHTGBM_BOOSTER.replaceAll("model.lgb", "../../etc/passwd"),
      "not a plain path",
    ],
    ["an absolute data file", LIGHTGBM_BOOSTER.replaceAll("model.lgb", "/etc/passwd"), "not a plain path"],
    ["no data file", LIGHTGBM_BOOSTER.replace(/ {4}data: model.lgb\n/, ""), "names no data file"],
    ["no flavors", "artifact_path: x\n", "not an MLflow model"],
    ["not YAML", "flavors: [unclosed", "MLmodel is not YAML"],
    ["YAML aliases (a billion laughs)", "a: &a [x]\nflavors: {lightgbm: *a}\n", "MLmodel is not YAML"],
  ])("refuses %s, saying what to do", (_what, text, message) => {
    expect(() => modelFileOf(text)).toThrow(MlmodelError);
    expect(() => modelFileOf(text)).toThrow(message);
  });
});
