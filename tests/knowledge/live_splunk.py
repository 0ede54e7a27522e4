"""Whether the pytest-splunk-addon tier can run here, and why not."""

import importlib.util
import os

KNOWLEDGE_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(KNOWLEDGE_DIR))
HAS_PLUGIN = importlib.util.find_spec("pytest_splunk_addon") is not None
HAS_SPLUNK = bool(os.environ.get("SPLUNK_HOST"))
LIVE = HAS_PLUGIN and HAS_SPLUNK

if not HAS_SPLUNK:
    WHY_NOT_LIVE = "live Splunk tier: SPLUNK_HOST is not set (with Docker, `make live` runs it: docs/live-splunk.md)"
elif not HAS_PLUGIN:
    WHY_NOT_LIVE = "live Splunk tier: pytest-splunk-addon is not installed in this venv (see tests/knowledge/README.md)"
else:
    WHY_NOT_LIVE = ""
