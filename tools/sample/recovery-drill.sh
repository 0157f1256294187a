#!/usr/bin/env bash
# Full-recovery drill on the sample data (docs/backup-and-recovery.md):
#  1. a data dir with the sample prices and LightGBM model; `maie pipeline run`;
#  2. a scorer on it: record GET /score_expected and GET /explain;
#  3. `maie backup run`, then `maie restore` into a fresh, empty data dir;
#  4. a new scorer on the restored dir: the same two responses, byte for byte.
# Prints the measured RTO (restore start → restored scorer ready). Needs the
# build (npm run build). Loopback only; ports from DRILL_PORTS (default 18081 18082).
#
# With --object-store, the off-site variant: a local S3 server (SeaweedFS,
# tools/cluster/object-store-cli.js) holds the copies. The bucket is seeded
# with two copies of a first archive under names dated 45 and 10 days ago,
# so retention (30 days) has something to prune; `maie backup run` uploads a
# new archive and prunes; the bucket is listed before and after; then
# EVERYTHING local is deleted (data dir, backups dir, seed) and `maie restore
# --from latest` restores from the bucket into a fresh dir.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
MAIE=${MAIE:-"node dist/src/cli/main.js"}
export MAIE_LOG_FORMAT=${MAIE_LOG_FORMAT:-text}
OBJECT_STORE=false
case "${1:-}" in
  "") ;;
  --object-store) OBJECT_STORE=true ;;
  *) echo "usage: $0 [--object-store]" >&2; exit 2 ;;
esac
read -r P1 P2 <<<"${DRILL_PORTS:-18081 18082}"
work="$(mktemp -d)"
pids=()
s3pid=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ -n "$s3pid" ]]; then kill "$s3pid" 2>/dev/null || true; wait "$s3pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
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

if [[ "$OBJECT_STORE" == true ]]; then
  $MAIE backup run --data-dir "$work/data" --backups-dir "$work/seed" 2>&1 | tail -1
  node dist/tools/cluster/object-store-cli.js serve --bucket maie-drill --write-env "$work/s3.env" >"$work/s3.log" 2>&1 &
  s3pid=$!
  for _ in $(seq 1 1200); do
    [[ -f "$work/s3.env" ]] && break
    kill -0 "$s3pid" 2>/dev/null || { cat "$work/s3.log" >&2; exit 1; }
    sleep 0.1
  done
  # shellcheck disable=SC1091
  source "$work/s3.env"
  export MAIE_OBJECT_STORE_PREFIX=drill
  s3() { node dist/tools/cluster/object-store-cli.js "$@"; }
  seed=("$work"/seed/maie-backup-*.tar.gz)
  for age in 45 10; do
    s3 put "backups/maie-backup-$(date -u -d "$age days ago" +%Y%m%dT%H%M%SZ).tar.gz" "${seed[0]}" >/dev/null
  done
  echo "bucket before the backup (seeded: copies dated 45 and 10 days ago):"
  s3 ls backups/
  $MAIE backup run --data-dir "$work/data" --backups-dir "$work/backups" --retention-days 30 2>&1 | grep -E "uploaded|pruned|done"
  echo "bucket after the backup (retention 30 days):"
  s3 ls backups/
  rm -rf "$work/data" "$work/backups" "$work/seed"
  echo "deleted the data dir, the backups dir and the seed: nothing local is left"
  t0=$(date +%s%N)
  $MAIE restore --data-dir "$work/restored" --backups-dir "$work/backups" --from latest 2>&1 | grep -E "latest|done"
else
  $MAIE backup run --data-dir "$work/data" --backups-dir "$work/backups" 2>&1 | tail -1
  t0=$(date +%s%N)
  $MAIE restore --data-dir "$work/restored" --backups-dir "$work/backups" 2>&1 | tail -1
fi
$MAIE scorer --data-dir "$work/restored" --host 127.0.0.1 --port "$P2" --log-level warn >"$work/scorer2.log" 2>&1 &
pids+=($!)
wait_ready "$P2"
t1=$(date +%s%N)
get "$P2" /score_expected >"$work/after_score.json"
get "$P2" "/explain?top_k=30" >"$work/after_explain.json"

echo "RTO (restore start -> restored scorer ready): $(((t1 - t0) / 1000000)) ms"
cmp "$work/before_score.json" "$work/after_score.json" && echo "/score_expected identical ($(wc -c <"$work/before_score.json") bytes)"
cmp "$work/before_explain.json" "$work/after_explain.json" && echo "/explain identical ($(wc -c <"$work/before_explain.json") bytes)"
