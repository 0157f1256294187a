#!/usr/bin/env bash
# design §9 TreeSHAP benchmark, one command:   bash bench/treeshap/run.sh [rows]
# Type-checks the tree (no table if it does not), trains the three models once
# (cached in $MAIE_CACHE/bench-treeshap), times the peers single-threaded
# (OMP/numba limited to one thread), each in its own virtualenv, then ours:
#   venv-bench-current (Python >= 3.12, tools/python312.sh): LightGBM 4.7 and XGBoost 3.4 (the
#     reference values), shap.TreeExplainer
#   venv (the fixtures' pins): XGBoost 3.2, the last release before Quadrature TreeSHAP
#   venv-fasttreeshap (numpy 1): fasttreeshap v2
set -euo pipefail
cd "$(dirname "$0")/../.."
rows="${1:-1000}"
out="${MAIE_CACHE:-$HOME/.cache/maie}/bench-treeshap"
mkdir -p "$out"
export PATH="$PWD/node_modules/.bin:$PATH"

if ! npx tsc -p . >&2; then
  echo "bench/treeshap: the tree does not type-check (tsc output above); no table" >&2
  exit 1
fi
npm run --silent build:wasm
test -f dist/bench/treeshap/bench.js

py=$(tools/python-env.sh bench/treeshap/requirements.txt)
py312=$(tools/python312.sh)
current=$(PYTHON="$py312" MAIE_VENV_NAME=venv-bench-current tools/python-env.sh bench/treeshap/requirements-current.txt)
fts=$(MAIE_VENV_NAME=venv-fasttreeshap tools/python-env.sh bench/treeshap/requirements-fasttreeshap.txt)

"$py" bench/treeshap/train.py "$out" "$rows"
rm -f "$out"/peer_*.json
export OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$current" bench/treeshap/peers.py "$out" native native-current --reference
"$current" bench/treeshap/peers.py "$out" shap shap
"$py" bench/treeshap/peers.py "$out" native xgboost-3.2 --only xgb
"$fts" bench/treeshap/peers.py "$out" fasttreeshap fasttreeshap
unset OMP_NUM_THREADS NUMBA_NUM_THREADS OPENBLAS_NUM_THREADS MKL_NUM_THREADS
node dist/bench/treeshap/bench.js "$out"
