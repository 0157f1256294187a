"""The research team's side of the MLflow Model Registry, with MLflow's own client.

Logs a model file with the flavor MLflow writes for it and registers it, moves
aliases, deletes versions: what the tests, the demo's --mlflow variant and a
person trying the operator do. Needs MLFLOW_TRACKING_URI (and the usual
MLFLOW_TRACKING_USERNAME/PASSWORD when the server asks for them).

  python tools/mlflow/registry.py register --name maie-alpha --flavor lightgbm --model-file model.txt [--alias champion]
  python tools/mlflow/registry.py alias --name maie-alpha --alias champion --version 2
  python tools/mlflow/registry.py delete-version --name maie-alpha --version 1

`register` prints {"version": "N", "run_id": "..."} on stdout.
"""

import argparse
import json
import sys

FLAVORS = ("lightgbm", "xgboost", "pyfunc")


class Constant:
    """A pyfunc model: a flavor MAIE refuses (it serves lightgbm and xgboost)."""

    def __new__(cls):
        import mlflow.pyfunc

        class _Constant(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input, params=None):
                return [0.0] * len(model_input)

        return _Constant()


def xgboost_json_with_floats(model_file: str) -> str:
    """XGBoost JSON whose float arrays hold floats: XGBoost's own loader refuses
    `0` where it wrote `0.0`, and the committed sample went through prettier."""
    with open(model_file, encoding="utf-8") as f:
        model = json.load(f)
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        for key in ("base_weights", "loss_changes", "split_conditions", "sum_hessian"):
            tree[key] = [float(x) for x in tree[key]]
    return json.dumps(model)


def log_model(flavor: str, model_file: str | None, name: str):
    import mlflow

    if flavor == "lightgbm":
        import lightgbm

        return mlflow.lightgbm.log_model(
            lightgbm.Booster(model_file=model_file), name="model", registered_model_name=name
        )
    if flavor == "xgboost":
        import xgboost

        booster = xgboost.Booster()
        booster.load_model(bytearray(xgboost_json_with_floats(model_file).encode()))
        return mlflow.xgboost.log_model(booster, name="model", registered_model_name=name)
    return mlflow.pyfunc.log_model(name="model", python_model=Constant(), registered_model_name=name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    reg = sub.add_parser("register", help="log a model file under a new run and register it as a new version")
    reg.add_argument("--name", required=True)
    reg.add_argument("--flavor", choices=FLAVORS, required=True)
    reg.add_argument("--model-file", help="the model file (not for pyfunc)")
    reg.add_argument("--alias", help="point this alias at the new version")
    ali = sub.add_parser("alias", help="point an alias at a version")
    ali.add_argument("--name", required=True)
    ali.add_argument("--alias", required=True)
    ali.add_argument("--version", required=True)
    dele = sub.add_parser("delete-version", help="delete a model version")
    dele.add_argument("--name", required=True)
    dele.add_argument("--version", required=True)
    args = parser.parse_args()

    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    if args.command == "register":
        if args.flavor != "pyfunc" and args.model_file is None:
            parser.error(f"--model-file is needed for the {args.flavor} flavor")
        with mlflow.start_run() as run:
            info = log_model(args.flavor, args.model_file, args.name)
        version = str(info.registered_model_version)
        if args.alias is not None:
            client.set_registered_model_alias(args.name, args.alias, version)
        print(json.dumps({"version": version, "run_id": run.info.run_id}))
    elif args.command == "alias":
        client.set_registered_model_alias(args.name, args.alias, args.version)
    else:
        client.delete_model_version(args.name, args.version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
