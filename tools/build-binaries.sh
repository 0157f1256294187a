#!/usr/bin/env bash
# Builds the real upstream binaries the tests need (kube-apiserver,
# kube-controller-manager, etcd, and later promtool/helm/actionlint) from Go
# modules pinned in tools/*/go.mod, into a cache directory outside the repo.
# A binary is rebuilt only when its module's go.sum changes, so a warm run
# takes a second. Usage: tools/build-binaries.sh [name...]   (default: all)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${MAIE_CACHE:-$HOME/.cache/maie}
bin="$cache/bin"
mkdir -p "$bin"
export GOFLAGS=${GOFLAGS:--buildvcs=false}
# Static, stripped binaries; debug info only slows the link on 2 cores.
ldflags="-s -w"
# Kubernetes components report the version they were built from, so nodes and
# `kubectl version` say v1.34.4 rather than v0.0.0-master, and a chart can
# declare kubeVersion. One definition, read from the kube module's go.mod.
kube_version=$(awk '$1 == "k8s.io/kubernetes" {print $2; exit}' "$repo/tools/controlplane/kube/go.mod")
kube_minor=$(echo "$kube_version" | cut -d. -f2)
kube_ldflags="$ldflags -X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kube_minor -X k8s.io/component-base/version.gitTreeState=clean"

# name | module dir (relative to repo) | package to build
targets=(
  "etcd|tools/controlplane/etcd|."
  "kube-apiserver|tools/controlplane/kube|k8s.io/kubernetes/cmd/kube-apiserver"
  "kube-controller-manager|tools/controlplane/kube|k8s.io/kubernetes/cmd/kube-controller-manager"
  "kube-scheduler|tools/controlplane/kube|k8s.io/kubernetes/cmd/kube-scheduler"
  "kubelet|tools/controlplane/kube|k8s.io/kubernetes/cmd/kubelet"
)
for extra in "$repo"/tools/gobin/*/; do
  [ -f "$extra/targets" ] || continue
  while IFS= read -r line; do
    [ -n "$line" ] && targets+=("$line")
  done < "$extra/targets"
done

wanted=("$@")
want() {
  [ ${#wanted[@]} -eq 0 ] && return 0
  local w
  for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}

for t in "${targets[@]}"; do
  IFS='|' read -r name dir pkg <<<"$t"
  want "$name" || continue
  stamp="$bin/.$name.stamp"
  flags=$ldflags
  [ "$dir" = tools/controlplane/kube ] && flags=$kube_ldflags
  sum=$( (find "$repo/$dir" -maxdepth 1 \( -name 'go.mod' -o -name 'go.sum' -o -name '*.go' \) -print0 | sort -z | xargs -0 cat; echo "$flags") | sha256sum | cut -c1-16)
  # One builder per binary: parallel test runs on one machine wait for each
  # other's build instead of racing on the same output file.
  exec 9>"$bin/.$name.lock"
  flock 9
  if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
    echo "build-binaries: $name is cached ($bin/$name)" >&2
    exec 9>&-
    continue
  fi
  echo "build-binaries: building $name from $dir (first build takes minutes; cached after)" >&2
  start=$(date +%s)
  (cd "$repo/$dir" && go build -trimpath -ldflags "$flags" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$sum" >"$stamp"
  exec 9>&-
  echo "build-binaries: built $name in $(( $(date +%s) - start ))s" >&2
done
