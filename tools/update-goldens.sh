#!/usr/bin/env bash
# Rewrites the golden files (test/fixtures/desired/*.yaml and
# test/fixtures/monitoring/**) from the current builders. Run it only when a change to the children is meant,
# then review the diff: the unit tests compare the goldens exactly and never
# rewrite them.
set -euo pipefail
cd "$(dirname "$0")/.."
# tsc emits even when files elsewhere in the tree have type errors; only
# errors in the core builders or their tests stop the rewrite (the goldens
# cover the core children; the monitoring builders have their own tests).
if ! out=$(npx tsc -p tsconfig.json 2>&1); then
  if grep -E '^(src/desired|test/unit/desired)/' <<<"$out" |
    grep -vE '^src/desired/(monitoring/|prometheus-rule|service-monitor|dashboards)' >&2; then
    echo "type errors in the desired-state code: goldens not rewritten" >&2
    exit 1
  fi
  echo "note: tsc reported errors outside src/desired (ignored here)" >&2
fi
npx node --input-type=module -e '
const { writeGoldenSet } = await import(process.cwd() + "/dist/test/harness/goldens.js");
const desired = await import(process.cwd() + "/dist/test/unit/desired/goldens.js");
const monitoring = await import(process.cwd() + "/dist/test/unit/monitoring/goldens.js");
for (const file of [
  ...writeGoldenSet(desired.DESIRED_GOLDEN_DIR, desired.desiredGoldens(), /\.yaml$/),
  ...writeGoldenSet(monitoring.GOLDEN_DIR, monitoring.renderGoldens(), monitoring.GOLDEN_PATTERN),
])
  console.log("wrote " + file);
'
