"""Auth0 log type codes and their Log Streams filter categories, read from the shipped lookup."""

import csv
import os
from typing import Dict, Optional

LOOKUP_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lookups", "auth0_log_types.csv")
OTHER_CATEGORY = "other"


def load_stream_categories(path: Optional[str] = None) -> Dict[str, str]:
    """Map each log type code to its Log Streams filter category API name (``auth.login.fail``, ...)."""
    mapping = {}
    with open(path or LOOKUP_PATH, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = (row.get("code") or "").strip()
            if code:
                mapping[code] = (row.get("stream_category") or "").strip() or OTHER_CATEGORY
    return mapping
