#!/usr/bin/env bash
# OpenAPI-driven fuzzing of the scorer: schemathesis (pinned in
# tools/fuzz/requirements.txt, venv ${MAIE_CACHE:-~/.cache/maie}/venv-fuzz made
# by tools/python-env.sh) against a live `maie scorer` serving the sample
# LightGBM model and a panel from a pipeline run on the sample prices.
#
#   tools/fuzz/schemathesis.sh [--max-examples 50] [--seed 1] [--workers 2] [--report DIR] [-- extra st args]
#
# Fails (exit 1) on any 5xx, any response that does not match /openapi.json
# (status codes, content types, headers, body schemas), a schema-valid
# request refused with 4xx other than the documented 404 unknown_ticker
# (positive_data_acceptance), or a schema-invalid one accepted with 2xx
# (negative_data_rejection). Progress on stderr; schemathesis' own report on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"

max_examples=50
seed=1
workers=2
report=""
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --max-examples) max_examples="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --report) report="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "schemathesis.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf 'fuzz: %s\n' "$*" >&2; }

[[ -f dist/wasm/treeshap.wasm ]] || { log "building the WASM core"; npm run --silent build:wasm >&2; }
[[ -f dist/src/cli/main.js ]] || { log "building TypeScript"; npm run --silent build:ts >&2; }

log "python venv with schemathesis (cached)"
py="$(MAIE_VENV_NAME=venv-fuzz bash tools/python-env.sh tools/fuzz/requirements.txt)"
st="$(dirname "$py")/st"

work="$(mktemp -d)"
scorer_pid=""
cleanup() {
  [[ -n "$scorer_pid" ]] && kill "$scorer_pid" 2>/dev/null && wait "$scorer_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

log "sample data and a pipeline run in $work"
mkdir -p "$work/prices" "$work/models"
cp config/samples/data/prices.csv "$work/prices/"
cp config/samples/data/models/lightgbm/model.txt "$work/models/model.txt"
node dist/src/cli/main.js pipeline run --data-dir "$work" --log-format text 2>"$work/pipeline.log" ||
  { cat "$work/pipeline.log" >&2; exit 1; }

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
log "starting maie scorer on 127.0.0.1:$port"
MAIE_LOG_LEVEL=warn node dist/src/cli/main.js scorer --data-dir "$work" --host 127.0.0.1 --port "$port" \
  >"$work/scorer.log" 2>&1 &
scorer_pid=$!
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  kill -0 "$scorer_pid" 2>/dev/null || { cat "$work/scorer.log" >&2; log "scorer exited"; exit 1; }
  sleep 0.1
done

# schemathesis 4.32.5 rewrites a Draft 2020-12 tuple (`prefixItems`) in a
# *response* schema into Draft 7's `items: [..]` and then rejects its own
# rewrite as an invalid 3.1 schema, skipping the response checks of that
# operation (POST /explain_local's top_features). Its copy of the document
# spells each tuple as `items: {anyOf: [..]}` (same types, position not
# checked); /openapi.json itself stays exact.
curl -fs "http://127.0.0.1:$port/openapi.json" >"$work/openapi.json"
node -e '
const fs = require("fs");
const doc = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
let n = 0;
(function walk(node) {
  if (Array.isArray(node)) return node.forEach(walk);
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node.prefixItems)) { node.items = { anyOf: node.prefixItems }; delete node.prefixItems; n++; }
  Object.values(node).forEach(walk);
})(doc);
fs.writeFileSync(process.argv[2], JSON.stringify(doc));
console.error(`fuzz: ${n} tuple schema(s) rewritten for schemathesis`);
' "$work/openapi.json" "$work/openapi.st.json"

log "schemathesis $("$st" --version | awk '{print $NF}'): every operation, positive and negative data, max ${max_examples} examples each, seed ${seed}"
start=$(date +%s)
report_args=()
status=0
# From the temp dir: schemathesis keeps a crash cache in ./.schemathesis, which must not land in the repo.
[[ -n "$report" ]] && report="$(realpath -m "$report")" && report_args=(--report junit,ndjson --report-dir "$report")
(cd "$work" && "$st" run "$work/openapi.st.json" --url "http://127.0.0.1:$port" \
  --checks all \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --workers "$workers" \
  --generation-database none \
  --request-timeout 20 \
  --no-color \
  "${report_args[@]}" "${extra[@]}") || status=$?

# The scorer must still be alive, and must never have answered 5xx.
if ! kill -0 "$scorer_pid" 2>/dev/null; then log "the scorer died during the run"; status=1; fi
fivexx="$(curl -fs "http://127.0.0.1:$port/metrics" | grep -E '^maie_api_requests_total\{[^}]*code="5[0-9][0-9]"' || true)"
if [[ -n "$fivexx" ]]; then log "the scorer counted 5xx answers:"; echo "$fivexx" >&2; status=1; fi
requests="$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^maie_api_requests_total\{/ {s += $NF} END {print s + 0}')"
log "done in $(( $(date +%s) - start )) s: ${requests} requests served, exit ${status}"
exit "$status"
