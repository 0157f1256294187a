#!/usr/bin/env bash
# bench/scorer in one command: the MAIE scorer beside the FastAPI + LightGBM
# baseline (bench/baseline, as many uvicorn workers as cores) on loopback, same
# data, same autocannon client; cached and compute paths (bench/scorer/run.ts).
#
#   bash bench/scorer/run.sh [--duration 10] [--rate 200] [--connections 32] [--post-tickers 20] [--paths cached,compute]
#
# Type-checks the tree first: a tree that does not type-check gives no table.
# Builds what it needs (TypeScript, the WASM core), creates the baseline venv
# (${MAIE_CACHE:-$HOME/.cache/maie}/venv-baseline, pinned in
# bench/baseline/requirements.txt), makes the 500-tree LightGBM model and the
# panel once (cached by content of make_data.py and the feature names), runs
# the load, prints a table and writes bench/scorer/results.json.
set -euo pipefail
cd "$(dirname "$0")/../.."

[[ -f dist/wasm/treeshap.wasm ]] || npm run --silent build:wasm >&2
npx tsc -p . >&2 || { echo "bench: the tree does not type-check (errors above); no table" >&2; exit 1; }

py="$(MAIE_VENV_NAME=venv-baseline bash tools/python-env.sh bench/baseline/requirements.txt)"
cache="${MAIE_CACHE:-$HOME/.cache/maie}"
mkdir -p "$cache"
names="$cache/bench-scorer-features.json"
npx node --input-type=module -e \
  'const m = await import(process.argv[1]); console.log(JSON.stringify(m.FEATURE_NAMES_V1));' \
  "$PWD/dist/src/features/index.js" >"$names"
stamp="$(cat bench/scorer/make_data.py "$names" bench/baseline/requirements.txt | sha256sum | cut -c1-16)"
data="$cache/bench-scorer-$stamp"
if [[ ! -f "$data/.done" ]]; then
  "$py" bench/scorer/make_data.py "$data" --features "$names" >&2
  touch "$data/.done"
fi
exec npx node dist/bench/scorer/run.js --data "$data" --python "$py" "$@"
