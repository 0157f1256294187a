"""Trains the sample LightGBM and XGBoost models on features exported by
`maie features` (so training sees exactly the values the scorer computes).

  python train_models.py FEATURES.parquet OUT_DIR [PREDICTIONS.json]

FEATURES.parquet: `maie features --target-horizon 21` output (date, ticker,
feature set v1 columns, target_fwd_ret_21d). Writes
  OUT_DIR/lightgbm/model.txt + model.json
  OUT_DIR/xgboost/model.xgb.json + model.json
model.json records the format, feature set, feature names, training window,
library versions and the out-of-sample rank IC on the last 40 dates.
PREDICTIONS.json (optional): both models' raw predictions and pred_contrib
SHAP for every ticker on the latest date, which the pipeline test compares
with what `maie pipeline run` scores.
"""

import json
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import xgboost as xgb

TARGET = "target_fwd_ret_21d"
HOLDOUT_DATES = 40
SEED = 11


def rank_ic(frame: pd.DataFrame, pred: np.ndarray) -> float:
    f = frame.assign(pred=pred)
    per_date = f.groupby("date").apply(lambda g: g["pred"].rank().corr(g[TARGET].rank()), include_groups=False)
    return float(per_date.mean())


def main(features_path: str, out_dir: str, predictions_path: str | None) -> None:
    meta = pq.read_metadata(features_path).metadata or {}
    feature_set = meta.get(b"maie.feature_set", b"").decode()
    if feature_set != "v1":
        sys.exit(f"{features_path}: feature set {feature_set!r}, this script trains on v1")
    df = pd.read_parquet(features_path)
    full = df
    feature_names = [c for c in df.columns if c not in ("date", "ticker") and not c.startswith("target_")]
    # Dates with a full lookback (every feature defined) and a known target.
    df = df[df["mom_12_1"].notna() & df[TARGET].notna()].sort_values(["date", "ticker"]).reset_index(drop=True)
    dates = sorted(df["date"].unique())
    # The target looks 21 days ahead: leave a 21-date embargo between train and holdout.
    cut_test, cut_train = dates[-HOLDOUT_DATES], dates[-HOLDOUT_DATES - 21]
    train, test = df[df["date"] < cut_train], df[df["date"] >= cut_test]
    X, y = train[feature_names].to_numpy(), train[TARGET].to_numpy()
    Xt = test[feature_names].to_numpy()
    out = Path(out_dir)
    common = {
        "feature_set": feature_set,
        "feature_names": feature_names,
        "target": TARGET,
        "train_dates": [str(dates[0]), str(train["date"].max())],
        "train_rows": int(len(train)),
        "holdout_dates": [str(cut_test), str(dates[-1])],
    }

    booster = lgb.train(
        {"objective": "regression", "num_leaves": 15, "learning_rate": 0.05, "min_data_in_leaf": 40,
         "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "seed": SEED,
         "deterministic": True, "num_threads": 1, "verbose": -1},
        lgb.Dataset(X, y, feature_name=feature_names),
        num_boost_round=100,
    )
    (out / "lightgbm").mkdir(parents=True, exist_ok=True)
    booster.save_model(str(out / "lightgbm" / "model.txt"))
    lgb_ic = rank_ic(test, booster.predict(Xt))
    (out / "lightgbm" / "model.json").write_text(json.dumps(
        {"format": "lightgbm", "path": "model.txt", "library": f"lightgbm {lgb.__version__}", "trees": 100,
         "holdout_rank_ic": round(lgb_ic, 4), **common}, indent=2) + "\n")

    model = xgb.XGBRegressor(n_estimators=100, max_depth=4, learning_rate=0.05, subsample=0.8,
                             colsample_bytree=0.8, random_state=SEED, n_jobs=1, tree_method="hist")
    model.fit(pd.DataFrame(X, columns=feature_names), y)
    (out / "xgboost").mkdir(parents=True, exist_ok=True)
    model.get_booster().save_model(str(out / "xgboost" / "model.xgb.json"))
    xgb_ic = rank_ic(test, model.predict(pd.DataFrame(Xt, columns=feature_names)))
    (out / "xgboost" / "model.json").write_text(json.dumps(
        {"format": "xgboost", "path": "model.xgb.json", "library": f"xgboost {xgb.__version__}", "trees": 100,
         "holdout_rank_ic": round(xgb_ic, 4), **common}, indent=2) + "\n")
    if predictions_path is not None:
        last = full[full["date"] == full["date"].max()].sort_values("ticker")
        XL = last[feature_names].to_numpy()
        dm = xgb.DMatrix(pd.DataFrame(XL, columns=feature_names))
        Path(predictions_path).write_text(json.dumps({
            "as_of": str(last["date"].iloc[0]),
            "tickers": last["ticker"].tolist(),
            "lightgbm": {"prediction": booster.predict(XL, raw_score=True).tolist(),
                         "shap": booster.predict(XL, pred_contrib=True).tolist()},
            "xgboost": {"prediction": model.get_booster().predict(dm, output_margin=True).astype(float).tolist(),
                        "shap": model.get_booster().predict(dm, pred_contribs=True).astype(float).tolist()},
        }) + "\n")
    print(json.dumps({"train_rows": len(train), "test_rows": len(test), "lightgbm_holdout_rank_ic": round(lgb_ic, 4),
                      "xgboost_holdout_rank_ic": round(xgb_ic, 4)}))


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None)
