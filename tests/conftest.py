"""Puts the repository root (for ``tools``) and ``package/bin`` (for ``ta_auth0``) on sys.path."""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, "package", "bin")):
    if path not in sys.path:
        sys.path.insert(0, path)


def read_text(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def load_json(*parts):
    return json.loads(read_text(*parts))
