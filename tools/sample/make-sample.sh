#!/usr/bin/env bash
# Re-creates the committed sample data under config/samples/data/:
#   prices.csv                       synthetic closes with a planted signal (make_prices.py)
#   models/lightgbm/model.txt        LightGBM, trained on `maie features` output (train_models.py)
#   models/xgboost/model.xgb.json    XGBoost, same features
#   models/*/model.json              metadata: feature set, names, holdout rank IC
# and test/fixtures/pipeline/sample_predictions.json (both models' predictions and SHAP on the latest date),
# features_reference.json (v1 re-implemented in pandas) and pandas-written price Parquet files.
# Needs the TypeScript build (npx tsc -p .) and Python from tools/sample/python-env.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=config/samples/data
py="$(bash tools/sample/python-env.sh)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$py" tools/sample/make_prices.py "$out/prices.csv"
npx node dist/src/cli/main.js features --prices "$out/prices.csv" --out "$tmp/features.parquet" --target-horizon 21
mkdir -p test/fixtures/pipeline
"$py" tools/sample/train_models.py "$tmp/features.parquet" "$out/models" test/fixtures/pipeline/sample_predictions.json
"$py" tools/sample/reference_features.py "$out/prices.csv" test/fixtures/pipeline
# The repo's `prettier --check .` covers JSON: store the generated JSON in its style.
npx prettier --log-level warn --write "$out/models"
