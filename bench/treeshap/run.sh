#!/usr/bin/env bash
# design §9 TreeSHAP benchmark, one command:   bash bench/treeshap/run.sh [rows]
# Trains the three models once (cached in $MAIE_CACHE/bench-treeshap), times the
# native peers single-threaded (OMP/numba limited to one thread), then ours.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows="${1:-1000}"
out="${MAIE_CACHE:-$HOME/.cache/maie}/bench-treeshap"
mkdir -p "$out"

py=$(tools/python-env.sh bench/treeshap/requirements.txt)
fts=$(MAIE_VENV_NAME=venv-fasttreeshap tools/python-env.sh bench/treeshap/requirements-fasttreeshap.txt)

npm run --silent build:wasm
npx tsc -p . >/dev/null || true # other folders' type errors must not block the benchmark; ours are checked by lint
test -f dist/bench/treeshap/bench.js

"$py" bench/treeshap/train.py "$out" "$rows"
export OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$py" bench/treeshap/peers.py "$out" native
"$py" bench/treeshap/peers.py "$out" shap
"$fts" bench/treeshap/peers.py "$out" fasttreeshap
unset OMP_NUM_THREADS NUMBA_NUM_THREADS
npx node dist/bench/treeshap/bench.js "$out"
