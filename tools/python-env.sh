#!/usr/bin/env bash
# Creates (once) and updates the shared Python virtualenv used by the repo's
# Python tools, then installs the pinned requirements file given as $1.
#
#   tools/python-env.sh tools/fixtures/requirements.txt
#   → prints the venv's python path on stdout (everything else goes to stderr)
#
# The venv lives in ${MAIE_CACHE:-$HOME/.cache/maie}/venv (override the folder
# name with MAIE_VENV_NAME, e.g. for a tool whose pins clash with the shared
# ones). Idempotent: a requirements file already installed (same content hash)
# is skipped, so callers can run this before every use.
set -euo pipefail

req="${1:?usage: tools/python-env.sh <requirements-file>}"
[[ -f "$req" ]] || { echo "python-env: no such requirements file: $req" >&2; exit 2; }

cache="${MAIE_CACHE:-$HOME/.cache/maie}"
venv="$cache/${MAIE_VENV_NAME:-venv}"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
  echo "python-env: creating $venv" >&2
  mkdir -p "$cache"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
fi

stamp_dir="$venv/.maie-installed"
mkdir -p "$stamp_dir"
hash="$(sha256sum "$req" | cut -c1-16)"
if [[ ! -f "$stamp_dir/$hash" ]]; then
  echo "python-env: installing $req into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  cp "$req" "$stamp_dir/$hash"
fi
echo "$venv/bin/python"
