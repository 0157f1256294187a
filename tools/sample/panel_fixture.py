"""Pandas side of the expected-panel compatibility check.

  write DIR   writes DIR/expected_pandas.parquet (the original MAIE one-row
              frame: DatetimeIndex named "date", one float64 column per ticker)
              and DIR/features_pandas.parquet (ticker index × feature columns),
              exactly as pandas + pyarrow write them.
  check DIR   reads DIR/expected_latest.parquet, DIR/history/*.parquet and
              DIR/features_latest.parquet as written by `maie`, and checks
              that pandas sees the original MAIE frame (exit 1 otherwise).
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tickers = ["AAA", "BBB", "CCC", "DDD", "EEE"]
    alphas = np.array([0.0123, -0.0045, 0.0, 1.5e-7, -0.25])
    frame = pd.DataFrame([alphas], columns=tickers, index=pd.DatetimeIndex([pd.Timestamp("2026-11-27")], name="date"))
    frame = frame.astype("float64")
    # As the original MAIE does: DataFrame.to_parquet with the default engine.
    frame.to_parquet(out / "expected_pandas.parquet")
    feats = pd.DataFrame(
        {"ret_21d": [0.01, -0.02, np.nan, 0.0, 0.5], "rsi_14": [55.0, 40.0, 50.0, 61.5, 99.0]},
        index=pd.Index(tickers, name="ticker"),
    )
    feats.to_parquet(out / "features_pandas.parquet")
    print(json.dumps({"pandas": pd.__version__, "expected": json.loads(frame.to_json(orient="split", date_format="iso"))}))


def check(data: Path) -> None:
    frame = pd.read_parquet(data / "expected_latest.parquet")
    problems = []
    if not isinstance(frame.index, pd.DatetimeIndex):
        problems.append(f"index is {type(frame.index).__name__}, not DatetimeIndex")
    if frame.index.name != "date":
        problems.append(f"index name is {frame.index.name!r}, not 'date'")
    if len(frame) != 1:
        problems.append(f"{len(frame)} rows, not 1")
    bad = [c for c, t in frame.dtypes.items() if t != np.float64]
    if bad:
        problems.append(f"non-float64 columns: {bad[:5]}")
    for path in sorted((data / "history").glob("*.parquet")):
        h = pd.read_parquet(path)
        if str(h.index[0].date()) != path.stem:
            problems.append(f"{path.name}: index {h.index[0]} does not match the file name")
    feats = pd.read_parquet(data / "features_latest.parquet")
    if feats.index.name != "ticker":
        problems.append(f"features index name is {feats.index.name!r}, not 'ticker'")
    if list(feats.index) != list(frame.columns):
        problems.append("features tickers differ from the panel's columns")
    print(
        json.dumps(
            {
                "pandas": pd.__version__,
                "as_of": str(frame.index[0].date()) if len(frame) else None,
                "tickers": len(frame.columns),
                "first": {k: float(v) for k, v in frame.iloc[0].head(3).items()} if len(frame) else {},
                "features_shape": list(feats.shape),
                "index_dtype": str(frame.index.dtype),
                "problems": problems,
            }
        )
    )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__)
    (write if sys.argv[1] == "write" else check)(Path(sys.argv[2]))
