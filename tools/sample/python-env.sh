#!/usr/bin/env bash
# Prints the path of a Python interpreter with tools/sample/requirements.txt
# installed. Reuses tools/python-env.sh (the shared venv helper) when the
# repo has it; otherwise creates ${MAIE_CACHE:-$HOME/.cache/maie}/venv itself.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"
if [[ -x "$here/../python-env.sh" ]]; then
  exec "$here/../python-env.sh" "$req"
fi
venv="${MAIE_CACHE:-$HOME/.cache/maie}/venv"
stamp="$venv/.sample-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv" >&2
fi
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  echo "$want" >"$stamp"
fi
echo "$venv/bin/python"
