"""Trains the three design §9 benchmark models on synthetic data (once; cached)
and writes the rows to explain.

    python train.py OUT_DIR N_ROWS

OUT_DIR/lgb_63leaves.txt   LightGBM, 500 trees × 63 leaves, 50 features
OUT_DIR/xgb_depth6.json    XGBoost, 500 trees, max_depth 6
OUT_DIR/xgb_depth8.json    XGBoost, 500 trees, max_depth 8
OUT_DIR/rows.f64           N_ROWS × 50 float64, little endian, ~2% NaN
"""

import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import xgboost as xgb

out = Path(sys.argv[1])
n_rows = int(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
NF = 50

rng = np.random.default_rng(2026)
X = rng.normal(size=(20000, NF))
y = (
    X[:, 0] * 2
    + np.sin(X[:, 1] * 3)
    + X[:, 2] * X[:, 3]
    + np.where(X[:, 4] > 0.5, 1.0, -0.5) * X[:, 5]
    + 0.3 * X[:, 6:20].sum(axis=1)
    + rng.normal(scale=0.5, size=len(X))
)
X[rng.random(X.shape) < 0.02] = np.nan

if not (out / "lgb_63leaves.txt").exists():
    booster = lgb.train(
        {
            "objective": "regression",
            "num_leaves": 63,
            "learning_rate": 0.05,
            "min_data_in_leaf": 5,
            "verbose": -1,
            "num_threads": 2,
            "seed": 1,
        },
        lgb.Dataset(X, y),
        num_boost_round=500,
    )
    booster.save_model(str(out / "lgb_63leaves.txt"))
for depth in (6, 8):
    path = out / f"xgb_depth{depth}.json"
    if not path.exists():
        booster = xgb.train(
            {"objective": "reg:squarederror", "max_depth": depth, "eta": 0.05, "nthread": 2, "seed": 1, "tree_method": "hist"},
            xgb.DMatrix(X, y, missing=np.nan),
            num_boost_round=500,
        )
        booster.save_model(str(path))

rows = np.random.default_rng(7).normal(size=(n_rows, NF))
rows[np.random.default_rng(8).random(rows.shape) < 0.02] = np.nan
rows.astype("<f8").tofile(out / "rows.f64")
print(f"models and {n_rows} rows in {out}", file=sys.stderr)
