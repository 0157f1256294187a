"""Baseline for bench/scorer: the MAIE scoring API served the way the original
MAIE served it, FastAPI + pydantic request/response models + LightGBM,
SHAP from ``Booster.predict(..., pred_contrib=True)``.

Same routes and JSON as the scorer for what the benchmark calls (``/health``,
``/ready``, ``/score_expected`` GET/POST, ``/explain_local``, ``/explain``).
The model and the panel are loaded once at start-up (the original re-read
nothing per request either), so the comparison is about serving, not I/O.

  MAIE_DATA_DIR=DIR uvicorn app:app --app-dir bench/baseline --port 8001
"""

import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import lightgbm as lgb
import numpy as np
import pandas as pd
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

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
    if req.ticker not in features.index:
        raise HTTPException(status_code=404, detail=f"unknown ticker {req.ticker}")
    row = features.loc[[req.ticker], feature_names]
    contrib = booster.predict(row, pred_contrib=True)[0]
    prediction = float(booster.predict(row, raw_score=True)[0])
    shap_values, base_value = contrib[:-1], float(contrib[-1])
    order = np.argsort(-np.abs(shap_values))[: req.top_k]
    return ExplainLocalResponse(
        ticker=req.ticker,
        top_features=[(feature_names[j], float(shap_values[j])) for j in order],
        base_value=base_value,
        prediction=prediction,
        feature_values={f: _nan_to_none(v) for f, v in row.iloc[0].items()},
    )


@app.get("/explain", response_model=ExplainResponse)
def explain(top_k: Optional[int] = Query(None, ge=1)) -> ExplainResponse:
    contrib = booster.predict(features[feature_names], pred_contrib=True)
    mean_abs = np.abs(contrib[:, :-1]).mean(axis=0)
    items = sorted(zip(feature_names, mean_abs.tolist()), key=lambda kv: -kv[1])
    if top_k:
        items = items[:top_k]
    return ExplainResponse(feature_importance=dict(items), method="mean_abs_shap", as_of=_as_of(), rows=len(features))
