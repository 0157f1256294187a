#!/usr/bin/env bash
# Writes the operator's own PrometheusRule and dashboards ConfigMap into the
# install manifests (config/prometheus for kustomize, templates in
# config/helm/maie-operator), rendered by src/monitoring/operator-manifests.ts
# from the builders in src/desired/monitoring/. Needs a build (npx tsc).
# test/unit/monitoring/operator-manifests.test.ts fails when a file is stale.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
node --input-type=module -e '
import { writeFileSync } from "node:fs";
import { operatorMonitoringFiles } from "./dist/src/monitoring/operator-manifests.js";
for (const [path, text] of Object.entries(operatorMonitoringFiles())) {
  writeFileSync(path, text);
  process.stderr.write(`sync-operator-monitoring: ${path}\n`);
}
'
