#!/usr/bin/env bash
# Prints a Python >= 3.12 interpreter (XGBoost >= 3.3 wheels need one):
# $PYTHON312 if set, else the first of python3.12/python3.13 on PATH or
# pyenv's installed versions that actually runs (a pyenv shim for a version
# that is not selected exists on PATH but fails).
set -euo pipefail
if [[ -n "${PYTHON312:-}" ]]; then echo "$PYTHON312"; exit 0; fi
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }
for p in $(command -v python3.12 python3.13 || true) "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python; do
  [[ -x "$p" ]] && ok "$p" && { echo "$p"; exit 0; }
done
echo "python312: XGBoost >= 3.3 needs Python >= 3.12; none found (set PYTHON312)" >&2
exit 2
