"""Shared test helpers (a plain module: conftest.py files of different folders cannot be imported by name)."""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_text(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def load_json(*parts):
    return json.loads(read_text(*parts))
