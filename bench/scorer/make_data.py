"""Data for bench/scorer: a 500-tree LightGBM model and an expected panel.

  make_data.py OUT --features names.json [--trees 500] [--leaves 63] [--tickers 500]

Writes, as the original MAIE pipeline would (LightGBM text model, pandas
DataFrame.to_parquet):
  OUT/models/model.txt                    500 trees x 63 leaves, regression, the given feature names
  OUT/expected/expected_latest.parquet    one row: DatetimeIndex "date", one float64 column per ticker
  OUT/expected/features_latest.parquet    ticker index x feature columns (about 1% missing)
Deterministic (fixed seeds, one thread). Both the scorer and the baseline read these files.
"""

import argparse
import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--features", type=Path, required=True, help="JSON list of feature names")
    ap.add_argument("--trees", type=int, default=500)
    ap.add_argument("--leaves", type=int, default=63)
    ap.add_argument("--tickers", type=int, default=500)
    ap.add_argument("--rows", type=int, default=20000)
    args = ap.parse_args()

    names = json.loads(args.features.read_text())
    nf = len(names)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(args.rows, nf))
    # A planted signal with interactions, so trees grow to full size.
    y = 0.5 * x[:, 0] - 0.3 * x[:, 2] * x[:, min(5, nf - 1)] + 0.2 * np.tanh(x[:, 1]) + rng.normal(scale=0.5, size=args.rows)
    params = {
        "objective": "regression",
        "num_leaves": args.leaves,
        "learning_rate": 0.05,
        "min_data_in_leaf": 20,
        "feature_fraction": 0.9,
        "verbose": -1,
        "seed": 7,
        "deterministic": True,
        "num_threads": 1,
    }
    booster = lgb.train(params, lgb.Dataset(x, label=y, feature_name=names), num_boost_round=args.trees)
    (args.out / "models").mkdir(parents=True, exist_ok=True)
    booster.save_model(str(args.out / "models" / "model.txt"))

    tickers = [f"T{i:04d}" for i in range(args.tickers)]
    feats = rng.normal(size=(args.tickers, nf))
    feats[rng.random(size=feats.shape) < 0.01] = np.nan
    alpha = booster.predict(feats, raw_score=True)
    (args.out / "expected").mkdir(parents=True, exist_ok=True)
    date_index = pd.DatetimeIndex([pd.Timestamp("2026-11-27")], name="date")
    pd.DataFrame([alpha], columns=tickers, index=date_index).astype("float64").to_parquet(
        args.out / "expected" / "expected_latest.parquet"
    )
    pd.DataFrame(feats, index=pd.Index(tickers, name="ticker"), columns=names).to_parquet(
        args.out / "expected" / "features_latest.parquet"
    )
    print(f"wrote {args.out}: {booster.num_trees()} trees, {nf} features, {args.tickers} tickers")


if __name__ == "__main__":
    main()
