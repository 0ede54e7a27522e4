"""Splunk's names for the fields of a JSON event (KV_MODE=json / spath): nested keys joined with ``.``,
array elements under ``{}``; shared by the offline knowledge model and the detections' event loader."""

from typing import Any, Dict, List


def leaf_values(document: Any) -> Dict[str, List[Any]]:
    """Every field path with its leaf values in document order; booleans as ``true``/``false``, nulls omitted."""
    found: Dict[str, List[Any]] = {}

    def visit(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                visit(child, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for child in node:
                visit(child, path + "{}")
        elif node is not None:  # JSON null: no value
            found.setdefault(path, []).append(("true" if node else "false") if isinstance(node, bool) else node)

    visit(document, "")
    return found
