"""Times the native single-threaded SHAP peers on the benchmark rows.

    OMP_NUM_THREADS=1 python peers.py OUT_DIR native|shap|fasttreeshap

Writes OUT_DIR/peer_<name>.json: {model: {rows, seconds, rows_per_s, error?}}
and, for `native`, OUT_DIR/<model>.native.f64 (pred_contrib / pred_contribs,
rows × (features + 1), bias last) that the Node side measures its error against.
Each timing is the best of REPEATS full passes over the rows.
"""

import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np

out = Path(sys.argv[1])
peer = sys.argv[2]
REPEATS = 2
NF = 50
rows = np.fromfile(out / "rows.f64", dtype="<f8").reshape(-1, NF)
MODELS = ["lgb_63leaves", "xgb_depth6", "xgb_depth8"]


def best_of(fn):
    fn(rows[:20])  # warm-up
    best = float("inf")
    result = None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        result = fn(rows)
        best = min(best, time.perf_counter() - t0)
    return best, result


def load(name):
    if name.startswith("lgb"):
        import lightgbm as lgb

        return lgb.Booster(model_file=str(out / "lgb_63leaves.txt"), params={"num_threads": 1})
    import xgboost as xgb

    b = xgb.Booster(model_file=str(out / f"{name}.json"))
    b.set_param({"nthread": 1})
    return b


def native(name, booster):
    if name.startswith("lgb"):
        return lambda X: booster.predict(X, pred_contrib=True, num_threads=1)
    import xgboost as xgb

    return lambda X: booster.predict(xgb.DMatrix(X, missing=np.nan, nthread=1), pred_contribs=True)


def shap_peer(name, booster):
    import shap

    explainer = shap.TreeExplainer(booster)
    return lambda X: explainer.shap_values(X, check_additivity=False)


def fasttreeshap_peer(name, booster):
    import fasttreeshap

    explainer = fasttreeshap.TreeExplainer(booster, algorithm="v2", n_jobs=1)
    return lambda X: explainer.shap_values(X, check_additivity=False)


results = {}
for name in MODELS:
    booster = load(name)
    try:
        fn = {"native": native, "shap": shap_peer, "fasttreeshap": fasttreeshap_peer}[peer](name, booster)
        seconds, phi = best_of(fn)
        results[name] = {"rows": len(rows), "seconds": seconds, "rows_per_s": len(rows) / seconds}
        phi = np.asarray(phi, dtype=np.float64)
        if peer == "native":
            phi.astype("<f8").tofile(out / f"{name}.native.f64")
        else:
            np.asarray(phi, dtype="<f8").reshape(len(rows), -1)[:, :NF].tofile(out / f"{name}.{peer}.f64")
    except Exception as e:  # a peer that cannot run on a model is reported, not hidden
        results[name] = {"error": f"{type(e).__name__}: {e}".splitlines()[0][:300]}
        traceback.print_exc()
    print(f"{peer} {name}: {results[name]}", file=sys.stderr)
(out / f"peer_{peer}.json").write_text(json.dumps(results, indent=2))
