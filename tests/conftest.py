"""Puts the repository root (for ``tools``), ``package/bin`` (for ``ta_auth0``) and this folder (for
``support``) on sys.path."""

import os
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
for path in (ROOT, os.path.join(ROOT, "package", "bin"), TESTS):
    if path not in sys.path:
        sys.path.insert(0, path)
