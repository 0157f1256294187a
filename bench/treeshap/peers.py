"""Times one single-threaded SHAP peer on the benchmark rows, with whatever
library versions the running virtualenv has.

    OMP_NUM_THREADS=1 python peers.py OUT_DIR PEER ID [--reference] [--only lgb|xgb]

PEER is native (LightGBM pred_contrib / XGBoost pred_contribs), shap
(shap.TreeExplainer) or fasttreeshap (fasttreeshap.TreeExplainer v2). ID names
the outputs: OUT_DIR/peer_<ID>.json, {model: {peer, version, algorithm, rows,
seconds, cpu_seconds, rows_per_s, cpu_rows_per_s, columns, reference, error?}},
and OUT_DIR/<model>.<ID>.f64,
the peer's SHAP values (rows × columns float64, bias last when columns is
features + 1). --reference marks this run's values as the ones every
implementation is measured against (bench.ts). --only restricts the models to
one library (a venv that lacks the other). Each timing is the best of REPEATS
full passes over the rows, in wall time and in process CPU time (the machine
may be shared; CPU time is what one thread spent).
"""

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("out", type=Path)
parser.add_argument("peer", choices=["native", "shap", "fasttreeshap"])
parser.add_argument("id")
parser.add_argument("--reference", action="store_true")
parser.add_argument("--only", choices=["lgb", "xgb"])
args = parser.parse_args()

REPEATS = 3
NF = 50
rows = np.fromfile(args.out / "rows.f64", dtype="<f8").reshape(-1, NF)
MODELS = [m for m in ["lgb_63leaves", "xgb_depth6", "xgb_depth8"] if args.only is None or m.startswith(args.only)]


def library(name):
    if name.startswith("lgb"):
        import lightgbm

        return "LightGBM", lightgbm.__version__
    import xgboost

    return "XGBoost", xgboost.__version__


def native_algorithm(name):
    """The algorithm behind pred_contrib(s) in the installed version (read from its sources and release notes)."""
    lib, version = library(name)
    if lib == "LightGBM":
        return "path-dependent TreeSHAP, Lundberg's recursion, O(TLD²)"
    major, minor = (int(p) for p in version.split(".")[:2])
    if (major, minor) >= (3, 3):
        return "Quadrature TreeSHAP (CPU since 3.3)"
    return "path-dependent TreeSHAP, Lundberg's recursion, O(TLD²)"


def describe(name):
    lib, version = library(name)
    if args.peer == "native":
        call = "pred_contrib" if lib == "LightGBM" else "pred_contribs"
        return f"{lib} {call}", version, native_algorithm(name)
    if args.peer == "shap":
        import shap

        call = "pred_contrib" if lib == "LightGBM" else "pred_contribs"
        return (
            "shap.TreeExplainer",
            f"{shap.__version__} ({lib} {version})",
            f"calls {lib} {call} (path-dependent, raw output): {native_algorithm(name)}",
        )
    import fasttreeshap

    return "fasttreeshap.TreeExplainer v2", fasttreeshap.__version__, "FastTreeSHAP v2: per-leaf precomputed tables, O(TLD)"


def best_of(fn):
    fn(rows[:20])  # warm-up
    best = best_cpu = float("inf")
    result = None
    for _ in range(REPEATS):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(rows)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, result


def load(name):
    if name.startswith("lgb"):
        import lightgbm as lgb

        return lgb.Booster(model_file=str(args.out / "lgb_63leaves.txt"), params={"num_threads": 1})
    import xgboost as xgb

    b = xgb.Booster(model_file=str(args.out / f"{name}.json"))
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
    peer, version, algorithm = describe(name)
    entry = {"peer": peer, "version": version, "algorithm": algorithm, "reference": args.reference}
    try:
        booster = load(name)
        fn = {"native": native, "shap": shap_peer, "fasttreeshap": fasttreeshap_peer}[args.peer](name, booster)
        seconds, cpu_seconds, phi = best_of(fn)
        phi = np.asarray(phi, dtype="<f8").reshape(len(rows), -1)
        phi.tofile(args.out / f"{name}.{args.id}.f64")
        entry.update(
            rows=len(rows),
            seconds=seconds,
            cpu_seconds=cpu_seconds,
            rows_per_s=len(rows) / seconds,
            cpu_rows_per_s=len(rows) / cpu_seconds,
            columns=phi.shape[1],
        )
    except Exception as e:  # a peer that cannot run on a model is reported, not hidden
        entry["error"] = f"{type(e).__name__}: {e}".splitlines()[0][:300]
        traceback.print_exc()
    results[name] = entry
    print(f"{args.id} {name}: {entry}", file=sys.stderr)
(args.out / f"peer_{args.id}.json").write_text(json.dumps(results, indent=2))
