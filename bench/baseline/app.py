"""Baseline for bench/scorer: the MAIE scoring API served the way the original
MAIE served it, FastAPI + pydantic request/response models + LightGBM,
SHAP from ``Booster.predict(..., pred_contrib=True)``.

Same routes and JSON as the scorer for what the benchmark calls (``/health``,
``/ready``, ``/score_expected`` GET/POST, ``/score`` and ``/explain_local``
with posted prices, ``/explain_local`` on a stored row, ``/explain``).
The model and the panel are loaded once at start-up (the original re-read
nothing per request either), so the comparison is about serving, not I/O.
Posted prices become feature set v1 (docs/features.md) with numpy, the same
definitions as src/features, so both services explain the same numbers.
Run it with as many workers as cores (bench/scorer does):

  MAIE_DATA_DIR=DIR uvicorn app:app --app-dir bench/baseline --port 8001 --workers 2
"""

import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import lightgbm as lgb
import numpy as np
import pandas as pd
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field, PositiveFloat

DATA = Path(os.environ.get("MAIE_DATA_DIR", "data"))

app = FastAPI(title="MAIE API (baseline)")
booster = lgb.Booster(model_file=str(DATA / "models" / "model.txt"))
expected = pd.read_parquet(DATA / "expected" / "expected_latest.parquet")
features = pd.read_parquet(DATA / "expected" / "features_latest.parquet")
feature_names = booster.feature_name()


class ScoreExpectedRequest(BaseModel):
    tickers: Optional[List[str]] = None


class ScoreExpectedResponse(BaseModel):
    alpha: Dict[str, Optional[float]]
    as_of: str


class ExplainLocalRequest(BaseModel):
    ticker: str
    top_k: int = Field(10, ge=1)
    prices: Optional[Dict[str, List[PositiveFloat]]] = None


class ScoreRequest(BaseModel):
    prices: Dict[str, List[PositiveFloat]]


class ScoreResponse(BaseModel):
    alpha: Dict[str, Optional[float]]


class ExplainLocalResponse(BaseModel):
    ticker: str
    top_features: List[Tuple[str, float]]
    base_value: float
    prediction: float
    feature_values: Dict[str, Optional[float]]


class ExplainResponse(BaseModel):
    feature_importance: Dict[str, float]
    method: str
    as_of: str
    rows: int


# Feature set v1 (src/features/definitions.ts): (kind, parameters) per name.
TRADING_DAYS = 252
TIME_SERIES = {
    "ret_1d": ("return", 1), "ret_5d": ("return", 5), "ret_21d": ("return", 21),
    "ret_63d": ("return", 63), "ret_126d": ("return", 126), "ret_252d": ("return", 252),
    "vol_21d": ("volatility", 21), "vol_63d": ("volatility", 63),
    "mom_12_1": ("momentum", 252, 21),
    "ma_ratio_20": ("maRatio", 20), "ma_ratio_50": ("maRatio", 50),
    "ma_cross_50_200": ("maCross", 50, 200),
    "rsi_14": ("rsi", 14),
    "drawdown_252": ("drawdown", 252),
}
CROSS_SECTIONAL = {
    "cs_rank_ret_21d": ("rank", "ret_21d"), "cs_z_ret_21d": ("z", "ret_21d"),
    "cs_rank_mom_12_1": ("rank", "mom_12_1"), "cs_z_mom_12_1": ("z", "mom_12_1"),
    "cs_rank_vol_63d": ("rank", "vol_63d"), "cs_z_vol_63d": ("z", "vol_63d"),
    "cs_rank_rsi_14": ("rank", "rsi_14"), "cs_z_drawdown_252": ("z", "drawdown_252"),
}
MAX_LOOKBACK = 253
unknown = [f for f in feature_names if f not in TIME_SERIES and f not in CROSS_SECTIONAL]
if unknown:
    raise SystemExit(f"model features outside feature set v1: {unknown}")


def _required(spec: tuple) -> int:
    kind = spec[0]
    if kind in ("return", "volatility", "rsi"):
        return spec[1] + 1
    if kind == "momentum":
        return spec[1] + 1
    if kind == "maCross":
        return max(spec[1], spec[2])
    return spec[1]  # maRatio, drawdown


def _time_series(c: np.ndarray, spec: tuple) -> np.ndarray:
    """One feature for every ticker at the last column of c (tickers x dates, NaN-padded on the left)."""
    t = c.shape[1] - 1
    if t + 1 < _required(spec):
        return np.full(c.shape[0], np.nan)
    kind, w = spec[0], spec[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "return":
            return c[:, t] / c[:, t - w] - 1
        if kind == "volatility":
            r = np.log(c[:, t - w + 1 : t + 1] / c[:, t - w : t])
            m = r.sum(axis=1) / w
            var = np.maximum(0, ((r * r).sum(axis=1) - w * m * m) / (w - 1))
            return np.sqrt(var * TRADING_DAYS)
        if kind == "momentum":
            return c[:, t - spec[2]] / c[:, t - w] - 1
        if kind == "maRatio":
            return c[:, t] / c[:, t - w + 1 : t + 1].mean(axis=1) - 1
        if kind == "maCross":
            fast, slow = spec[1], spec[2]
            return c[:, t - fast + 1 : t + 1].mean(axis=1) / c[:, t - slow + 1 : t + 1].mean(axis=1) - 1
        if kind == "rsi":
            d = np.diff(c[:, t - w : t + 1], axis=1)
            gain = np.where(d > 0, d, 0).sum(axis=1)
            loss = np.where(d > 0, 0, -d).sum(axis=1)
            out = np.where(loss == 0, np.where(gain == 0, 50.0, 100.0), 100 - 100 / (1 + gain / loss))
            return np.where(np.isnan(d).any(axis=1), np.nan, out)
        if kind == "drawdown":
            window = c[:, t - w + 1 : t + 1]
            return np.where(np.isnan(window).any(axis=1), np.nan, c[:, t] / window.max(axis=1) - 1)
    raise ValueError(kind)


def _cross_sectional(kind: str, v: np.ndarray) -> np.ndarray:
    ok = np.isfinite(v)
    out = np.full(v.shape, np.nan)
    n = int(ok.sum())
    if n == 0:
        return out
    if kind == "rank":
        ranks = pd.Series(v[ok]).rank(method="average").to_numpy() - 1
        out[ok] = 0.5 if n == 1 else ranks / (n - 1)
    else:
        m = v[ok].mean()
        sd = np.sqrt(((v[ok] - m) ** 2).sum() / n)
        out[ok] = (v[ok] - m) / sd if sd > 0 else 0.0
    return out


def features_from_prices(prices: Dict[str, List[float]]) -> pd.DataFrame:
    """Feature set v1 at the last close of each posted series (the last MAX_LOOKBACK closes)."""
    tickers = list(prices)
    n = min(max(len(v) for v in prices.values()), MAX_LOOKBACK)
    closes = np.full((len(tickers), n), np.nan)
    for i, t in enumerate(tickers):
        s = prices[t][-n:]
        closes[i, n - len(s) :] = s
    cols = {name: _time_series(closes, spec) for name, spec in TIME_SERIES.items()}
    for name, (kind, source) in CROSS_SECTIONAL.items():
        cols[name] = _cross_sectional(kind, cols[source])
    return pd.DataFrame(cols, index=pd.Index(tickers, name="ticker"))


def _explain_row(ticker: str, row: pd.DataFrame, top_k: int) -> ExplainLocalResponse:
    contrib = booster.predict(row, pred_contrib=True)[0]
    prediction = float(booster.predict(row, raw_score=True)[0])
    shap_values, base_value = contrib[:-1], float(contrib[-1])
    order = np.argsort(-np.abs(shap_values))[:top_k]
    return ExplainLocalResponse(
        ticker=ticker,
        top_features=[(feature_names[j], float(shap_values[j])) for j in order],
        base_value=base_value,
        prediction=prediction,
        feature_values={f: _nan_to_none(v) for f, v in row.iloc[0].items()},
    )


def _as_of() -> str:
    return pd.Timestamp(expected.index[-1]).date().isoformat()


def _nan_to_none(v: float) -> Optional[float]:
    return None if v is None or np.isnan(v) else float(v)


@app.get("/health")
def health() -> Dict[str, str]:
    return {"status": "ok"}


@app.get("/ready")
def ready() -> Dict[str, str]:
    return {"status": "ready", "model_loaded": "true", "expected_available": "true"}


def _score_expected(tickers: Optional[List[str]]) -> ScoreExpectedResponse:
    row = expected.iloc[-1]
    if tickers:
        missing = [t for t in tickers if t not in row.index]
        if missing:
            raise HTTPException(status_code=404, detail=f"unknown tickers: {missing}")
        row = row[tickers]
    return ScoreExpectedResponse(alpha={k: _nan_to_none(v) for k, v in row.items()}, as_of=_as_of())


@app.post("/score_expected", response_model=ScoreExpectedResponse)
def score_expected_post(req: Optional[ScoreExpectedRequest] = None) -> ScoreExpectedResponse:
    return _score_expected(req.tickers if req else None)


@app.get("/score_expected", response_model=ScoreExpectedResponse)
def score_expected_get(tickers: Optional[str] = Query(None)) -> ScoreExpectedResponse:
    return _score_expected([t.strip() for t in tickers.split(",") if t.strip()] if tickers else None)


@app.post("/explain_local", response_model=ExplainLocalResponse)
def explain_local(req: ExplainLocalRequest) -> ExplainLocalResponse:
    if req.prices is not None:
        if req.ticker not in req.prices:
            raise HTTPException(status_code=404, detail=f"ticker {req.ticker} is not in the posted prices")
        return _explain_row(req.ticker, features_from_prices(req.prices).loc[[req.ticker], feature_names], req.top_k)
    if req.ticker not in features.index:
        raise HTTPException(status_code=404, detail=f"unknown ticker {req.ticker}")
    return _explain_row(req.ticker, features.loc[[req.ticker], feature_names], req.top_k)


@app.post("/score", response_model=ScoreResponse)
def score(req: ScoreRequest) -> ScoreResponse:
    feats = features_from_prices(req.prices)[feature_names]
    alpha = booster.predict(feats, raw_score=True)
    return ScoreResponse(alpha={t: _nan_to_none(v) for t, v in zip(feats.index, alpha)})


@app.get("/explain", response_model=ExplainResponse)
def explain(top_k: Optional[int] = Query(None, ge=1)) -> ExplainResponse:
    contrib = booster.predict(features[feature_names], pred_contrib=True)
    mean_abs = np.abs(contrib[:, :-1]).mean(axis=0)
    items = sorted(zip(feature_names, mean_abs.tolist()), key=lambda kv: -kv[1])
    if top_k:
        items = items[:top_k]
    return ExplainResponse(feature_importance=dict(items), method="mean_abs_shap", as_of=_as_of(), rows=len(features))
