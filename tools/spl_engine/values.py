"""Field values as the search pipeline holds them: a string, a list of strings (multivalue), or absent."""

import math
from typing import Any, Dict, List, Optional, Union

FieldValue = Union[str, List[str]]
Row = Dict[str, FieldValue]


class SplError(Exception):
    """A search, command or argument this model does not implement, or cannot parse."""


def text_of(value: Any) -> str:
    """One value as Splunk writes it: whole numbers without a decimal point."""
    if isinstance(value, bool):
        raise SplError("a boolean cannot be a field value (use if())")
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def field_value(value: Any) -> Optional[FieldValue]:
    """An eval result as a field value: null is None, a list is multivalue (one item: a single value)."""
    if value is None:
        return None
    if isinstance(value, list):
        items = [text_of(item) for item in value if item is not None]
        if not items:
            return None
        return items if len(items) > 1 else items[0]
    return text_of(value)


def values_of(value: Optional[FieldValue]) -> List[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def number(value: Any) -> Optional[float]:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def sort_key(value: str):
    """Splunk's order for ``sort``: numbers numerically, before strings."""
    parsed = number(value)
    return (0, parsed, "") if parsed is not None else (1, 0.0, value)


def unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text
