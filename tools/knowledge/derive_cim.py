"""Derive tests/knowledge/cim/cim_definitions.json from a pytest-splunk-addon wheel.

The offline knowledge tests take the CIM definitions (required fields, allowed values, validity expressions,
conditions, recommended fields) from this file. It keeps only the facts the tests use, for the three data models
the add-on maps to, and drops the prose comments.

    pip download --no-deps -d /tmp/psa pytest-splunk-addon==6.4.0
    python -m tools.knowledge.derive_cim /tmp/psa/pytest_splunk_addon-6.4.0-py3-none-any.whl
"""

import argparse
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import zipfile
from typing import Any, Dict, List

MODELS = ("Authentication", "Change", "Alerts")
FIELD_KEYS = ("name", "type", "validity", "expected_values", "condition", "multi_value")
OUTPUT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "tests",
    "knowledge",
    "cim",
    "cim_definitions.json",
)


def _dataset(node: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "name": node["name"],
        "tags": node.get("tags", []),
        "search_constraints": node.get("search_constraints", ""),
        "fields": [{k: f[k] for k in FIELD_KEYS if k in f} for f in node.get("fields", [])],
        "child_dataset": [_dataset(child) for child in node.get("child_dataset", [])],
    }


def _recommended(root: str) -> Dict[str, Dict[str, List[str]]]:
    spec = importlib.util.spec_from_file_location("psa_dm", os.path.join(root, "CIM_Models", "datamodel_definition.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    latest = module.datamodels["latest"]
    return {model: latest[model] for model in MODELS}


def derive(wheel: str) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tmp)
        root = os.path.join(tmp, "pytest_splunk_addon")
        models = {}
        for model in MODELS:
            with open(os.path.join(root, "data_models", model + ".json"), encoding="utf-8") as handle:
                source = json.load(handle)
            models[model] = {
                "version": source.get("version"),
                "objects": [_dataset(node) for node in source["objects"]],
            }
        recommended = _recommended(root)
    with open(wheel, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    return {
        "source": {
            "package": os.path.basename(wheel),
            "sha256": digest,
            "files": [
                "pytest_splunk_addon/data_models/<model>.json",
                "pytest_splunk_addon/CIM_Models/datamodel_definition.py",
            ],
        },
        "models": models,
        "recommended_fields": recommended,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", help="pytest_splunk_addon-<version>-py3-none-any.whl")
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args(argv)
    data = derive(args.wheel)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=False)
        handle.write("\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
