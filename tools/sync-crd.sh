#!/usr/bin/env bash
# Copies the generated CRD (crds/, written by `npm run generate`) to the two
# places that ship it and cannot reference it: kustomize forbids files outside
# a kustomization's root, and a Helm chart carries its own crds/ folder.
# test/unit/packaging/crd-sync.test.ts fails when a copy is stale.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
src="$repo/crds/maie.io_maiedeployments.yaml"
for dest in config/crd/bases/maie.io_maiedeployments.yaml config/helm/maie-operator/crds/maie.io_maiedeployments.yaml; do
  mkdir -p "$(dirname "$repo/$dest")"
  cp "$src" "$repo/$dest"
  echo "sync-crd: $dest" >&2
done
