"""Independent pandas implementation of feature set v1 (docs/features.md),
used to check the TypeScript one, plus pandas-written price files.

  python reference_features.py PRICES.csv OUT_DIR

Writes OUT_DIR/features_reference.json: v1 features of every ticker on the
last 3 dates of PRICES.csv, computed with pandas rolling windows (not a port
of src/features), and OUT_DIR/prices_pandas_{wide,long}.parquet: the first 30
rows of the prices as pandas writes them (DatetimeIndex for wide, a datetime
column for long).
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def features(close: pd.DataFrame) -> dict[str, pd.DataFrame]:
    logret = np.log(close / close.shift(1))
    diff = close.diff()
    f: dict[str, pd.DataFrame] = {}
    for h in (1, 5, 21, 63, 126, 252):
        f[f"ret_{h}d"] = close / close.shift(h) - 1
    for w in (21, 63):
        f[f"vol_{w}d"] = logret.rolling(w).std(ddof=1) * np.sqrt(252)
    f["mom_12_1"] = close.shift(21) / close.shift(252) - 1
    for w in (20, 50):
        f[f"ma_ratio_{w}"] = close / close.rolling(w).mean() - 1
    f["ma_cross_50_200"] = close.rolling(50).mean() / close.rolling(200).mean() - 1
    gain = diff.clip(lower=0).rolling(14).sum()
    loss = (-diff.clip(upper=0)).rolling(14).sum()
    rsi = 100 - 100 / (1 + gain / loss)
    rsi = rsi.where(loss != 0, np.where(gain == 0, 50.0, 100.0))
    f["rsi_14"] = rsi.where(diff.rolling(14).count() == 14)
    f["drawdown_252"] = close / close.rolling(252).max() - 1

    def rank(df: pd.DataFrame) -> pd.DataFrame:
        r = df.rank(axis=1, method="average") - 1
        n = df.notna().sum(axis=1)
        return r.div((n - 1).where(n > 1), axis=0).where(n > 1, 0.5).where(df.notna())

    def z(df: pd.DataFrame) -> pd.DataFrame:
        m, s = df.mean(axis=1), df.std(axis=1, ddof=0)
        return df.sub(m, axis=0).div(s.where(s > 0), axis=0).fillna(0).where(df.notna())

    for kind, src in [("rank", "ret_21d"), ("z", "ret_21d"), ("rank", "mom_12_1"), ("z", "mom_12_1"),
                      ("rank", "vol_63d"), ("z", "vol_63d"), ("rank", "rsi_14"), ("z", "drawdown_252")]:
        f[f"cs_{kind}_{src}"] = rank(f[src]) if kind == "rank" else z(f[src])
    return f


def main(prices_path: str, out_dir: str) -> None:
    close = pd.read_csv(prices_path, index_col="date", parse_dates=["date"])
    f = features(close)
    out = Path(out_dir)
    dates = close.index[-3:]
    ref = {
        "dates": [str(d.date()) for d in dates],
        "tickers": list(close.columns),
        "features": list(f.keys()),
        "values": {str(d.date()): [[None if pd.isna(f[k].loc[d, t]) else float(f[k].loc[d, t]) for k in f]
                                   for t in close.columns] for d in dates},
    }
    (out / "features_reference.json").write_text(json.dumps(ref) + "\n")
    head = close.iloc[:30, :5]
    head.to_parquet(out / "prices_pandas_wide.parquet")
    long = head.reset_index().melt(id_vars="date", var_name="ticker", value_name="close")
    long.sort_values(["ticker", "date"]).to_parquet(out / "prices_pandas_long.parquet", index=False)
    print(f"wrote {out}/features_reference.json ({len(close.columns)} tickers × {len(f)} features × 3 dates)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
