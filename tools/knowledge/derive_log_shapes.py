"""Derive tests/unit/knowledge/data/auth0_log_shapes.json from a checkout of auth0/auth0-log-schemas.

For each log type: the top-level fields Auth0 documents (``properties``), those it always sends (``required``),
and the documented ``details`` paths. The field tests build one event per mapped log type from this shape, so the
CIM mapping is tested against what Auth0 says each log carries, not against guesses.

    git clone https://github.com/auth0/auth0-log-schemas /tmp/auth0-log-schemas
    python -m tools.knowledge.derive_log_shapes /tmp/auth0-log-schemas --commit <sha>
"""

import argparse
import glob
import json
import os
import sys
from typing import Any, Dict, List

OUTPUT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "tests",
    "unit",
    "knowledge",
    "data",
    "auth0_log_shapes.json",
)


def _paths(node: Any, prefix: str = "") -> List[str]:
    found: List[str] = []
    if not isinstance(node, dict):
        return found
    for key, child in (node.get("properties") or {}).items():
        path = prefix + key
        found.append(path)
        found += _paths(child, path + ".")
        if isinstance(child, dict) and isinstance(child.get("items"), dict):
            found += _paths(child["items"], path + "{}.")
    for combinator in ("allOf", "anyOf", "oneOf"):
        for option in node.get(combinator) or []:
            found += _paths(option, prefix)
    return found


def derive(checkout: str) -> Dict[str, Dict[str, List[str]]]:
    shapes = {}
    for path in sorted(glob.glob(os.path.join(checkout, "schemas", "log-types", "*.schema.json"))):
        code = os.path.basename(path)[: -len(".schema.json")]
        with open(path, encoding="utf-8") as handle:
            schema = json.load(handle)
        properties = schema.get("properties") or {}
        shapes[code] = {
            "required": sorted(schema.get("required") or []),
            "properties": sorted(properties),
            # two levels below details are enough to build realistic events (details.error.message, ...)
            "details": sorted({p for p in _paths(properties.get("details") or {}, "details.") if p.count(".") <= 2}),
        }
    return shapes


def _render(data: Dict[str, Any]) -> str:
    """JSON with one line per log type, so a schema update reads as a small diff."""
    lines = ['{"source": %s,' % json.dumps(data["source"], sort_keys=True), ' "log_types": {']
    codes = sorted(data["log_types"])
    for index, code in enumerate(codes):
        comma = "," if index < len(codes) - 1 else ""
        lines.append("  %s: %s%s" % (json.dumps(code), json.dumps(data["log_types"][code], sort_keys=True), comma))
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", help="path to a clone of auth0/auth0-log-schemas")
    parser.add_argument("--commit", required=True, help="the commit the clone is at (recorded in the output)")
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args(argv)
    data = {
        "source": {"repository": "auth0/auth0-log-schemas", "commit": args.commit},
        "log_types": derive(args.checkout),
    }
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(_render(data))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
