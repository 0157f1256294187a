#!/usr/bin/env bash
# Installs MLflow (the real tracking server and Model Registry of the MLflow
# tests and the demo's --mlflow variant), LightGBM and XGBoost from PyPI into
# their own cached virtualenv on Python >= 3.12, and prints its python's path
# on stdout. Idempotent and quick once cached; concurrent callers wait for
# each other on a lock.
#
#   py=$(tools/mlflow/install.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${MAIE_CACHE:-$HOME/.cache/maie}"
mkdir -p "$cache"
exec 9>"$cache/.venv-mlflow.lock"
flock 9
PYTHON="$(bash "$here/../python312.sh")" MAIE_VENV_NAME=venv-mlflow bash "$here/../python-env.sh" "$here/requirements.txt"
