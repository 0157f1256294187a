#!/usr/bin/env bash
# Full-recovery drill on the sample data (docs/backup-and-recovery.md):
#  1. a data dir with the sample prices and LightGBM model; `maie pipeline run`;
#  2. a scorer on it: record GET /score_expected and GET /explain;
#  3. `maie backup run`, then `maie restore` into a fresh, empty data dir;
#  4. a new scorer on the restored dir: the same two responses, byte for byte.
# Prints the measured RTO (restore start → restored scorer ready). Needs the
# build (npm run build). Loopback only; ports from DRILL_PORTS (default 18081 18082).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
MAIE=${MAIE:-"node dist/src/cli/main.js"}
export MAIE_LOG_FORMAT=${MAIE_LOG_FORMAT:-text}
read -r P1 P2 <<<"${DRILL_PORTS:-18081 18082}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
get() { curl -sf "http://127.0.0.1:$1$2"; }
wait_ready() {
  for _ in $(seq 1 1200); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/ready")" == 200 ]] && return 0
    sleep 0.05
  done
  echo "scorer on :$1 never became ready" >&2
  return 1
}

mkdir -p "$work/data/prices" "$work/data/models"
cp config/samples/data/prices.csv "$work/data/prices/"
cp config/samples/data/models/lightgbm/model.txt config/samples/data/models/lightgbm/model.json "$work/data/models/"
$MAIE pipeline run --data-dir "$work/data" 2>&1 | tail -1

$MAIE scorer --data-dir "$work/data" --host 127.0.0.1 --port "$P1" --log-level warn >"$work/scorer1.log" 2>&1 &
pids+=($!)
wait_ready "$P1"
get "$P1" /score_expected >"$work/before_score.json"
get "$P1" "/explain?top_k=30" >"$work/before_explain.json"
kill "${pids[0]}"

$MAIE backup run --data-dir "$work/data" --backups-dir "$work/backups" 2>&1 | tail -1
t0=$(date +%s%N)
$MAIE restore --data-dir "$work/restored" --backups-dir "$work/backups" 2>&1 | tail -1
$MAIE scorer --data-dir "$work/restored" --host 127.0.0.1 --port "$P2" --log-level warn >"$work/scorer2.log" 2>&1 &
pids+=($!)
wait_ready "$P2"
t1=$(date +%s%N)
get "$P2" /score_expected >"$work/after_score.json"
get "$P2" "/explain?top_k=30" >"$work/after_explain.json"

echo "RTO (restore start -> restored scorer ready): $(((t1 - t0) / 1000000)) ms"
cmp "$work/before_score.json" "$work/after_score.json" && echo "/score_expected identical ($(wc -c <"$work/before_score.json") bytes)"
cmp "$work/before_explain.json" "$work/after_explain.json" && echo "/explain identical ($(wc -c <"$work/before_explain.json") bytes)"
